using System.Globalization;
using System.Text;
using MeshDev.Catalog;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// Writes <c>port: N</c> for services into a manifest's YAML text by splicing, like the JSONC editor: an existing
/// <c>port:</c> value (<c>auto</c>) is replaced, else the key is added as the service's first line (or first entry of a
/// <c>{ … }</c> mapping). Comments, order and spacing stay as they were.
/// </summary>
public static class ManifestPortWriter
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// The manifest file with <paramref name="ports"/> written in (not saved yet), and the manifest it now describes.
    /// </summary>
    /// <exception cref="ManifestException">The file changed since it was loaded and is no longer valid.</exception>
    public static (ProfileFile File, MeshManifest Manifest) Assign(MeshManifest manifest, IReadOnlyDictionary<string, int> ports)
    {
        var before = System.IO.File.ReadAllBytes(manifest.FilePath);
        var byteOrderMark = before.AsSpan().StartsWith(ByteOrderMark);
        var yaml = Assign(Encoding.UTF8.GetString(byteOrderMark ? before[ByteOrderMark.Length..] : before), ports);
        var after = Encoding.UTF8.GetBytes(yaml);
        return (new ProfileFile(manifest.FilePath, before, byteOrderMark ? [.. ByteOrderMark, .. after] : after), ManifestLoader.Parse(yaml, manifest.FilePath));
    }

    /// <summary>The manifest text with <paramref name="ports"/> (service name → port) written in.</summary>
    /// <exception cref="InvalidOperationException">The text does not have the shape of a valid manifest (it was validated before).</exception>
    public static string Assign(string yaml, IReadOnlyDictionary<string, int> ports)
    {
        var stream = new YamlStream();
        YamlMappingNode services;
        try
        {
            stream.Load(new StringReader(yaml));
            services = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)[new YamlScalarNode("services")];
        }
        catch (Exception e) when (e is YamlException or InvalidCastException or KeyNotFoundException or ArgumentOutOfRangeException)
        {
            throw new InvalidOperationException("the manifest changed since it was validated; run the command again", e);
        }

        var newLine = yaml.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";

        var splices = new List<(int At, int Remove, string Insert)>();
        foreach (var (name, port) in ports)
        {
            var value = port.ToString(CultureInfo.InvariantCulture);
            if (!services.Children.TryGetValue(new YamlScalarNode(name), out var node) || node is not YamlMappingNode service)
            {
                throw new InvalidOperationException($"service '{name}' is no longer a mapping in the manifest; run the command again");
            }

            if (service.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: "port" }).Value is { } existing)
            {
                splices.Add(((int)existing.Start.Index, (int)(existing.End.Index - existing.Start.Index), value));
            }
            else if (service.Style == MappingStyle.Flow)
            {
                splices.Add(((int)service.Start.Index + 1, 0, $" port: {value},"));
            }
            else
            {
                // A block mapping's keys start their lines at one indentation: a line before the first key has it too.
                var first = service.Children.First().Key.Start;
                var lineStart = (int)(first.Index - (first.Column - 1));
                var indent = yaml[lineStart..(int)first.Index];
                if (indent.Any(c => c is not (' ' or '\t')))
                {
                    throw new InvalidOperationException($"service '{name}' does not start its own line; add 'port: {value}' by hand");
                }

                splices.Add((lineStart, 0, $"{indent}port: {value}{newLine}"));
            }
        }

        var text = yaml;
        foreach (var (at, remove, insert) in splices.OrderByDescending(s => s.At))
        {
            text = text.Remove(at, remove).Insert(at, insert);
        }

        return text;
    }
}
