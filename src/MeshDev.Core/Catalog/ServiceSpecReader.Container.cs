using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>The fields of <c>runtime: docker</c> services, and the lists of service names (<c>dependsOn</c>, <c>calls</c>).</summary>
internal sealed partial class ServiceSpecReader
{
    private void CheckContainerFields()
    {
        foreach (var key in new[] { "url", "project" })
        {
            if (_section.KeyNode(key) is { } node)
            {
                Report(node, $"{_section.Describe(key)} does not apply to runtime docker{(key == "project" ? "; build an image and set 'image'" : "")}");
            }
        }

        if (!_section.Has("image"))
        {
            Report(_nameNode, $"service '{_name}' has runtime docker and needs 'image'");
        }
    }

    private ContainerSpec ReadContainer() => new()
    {
        Image = ReadImage() ?? "",
        Network = ReadChoice("network", ContainerNetwork.Host, ("host", ContainerNetwork.Host), ("bridge", ContainerNetwork.Bridge)),
        Volumes = ReadVolumes(),
        Pull = ReadChoice("pull", PullPolicy.Missing, ("missing", PullPolicy.Missing), ("always", PullPolicy.Always), ("never", PullPolicy.Never)),
        OnIdle = ReadChoice("onIdle", IdleAction.Stop, ("stop", IdleAction.Stop), ("remove", IdleAction.Remove)),
        WorkingDir = ReadContainerWorkingDir(),
        Seccomp = ReadSeccomp(),
    };

    private string? ReadImage()
    {
        if (NonBlankText("image") is not { Value: { } image } node)
        {
            return null;
        }

        if (!ImageReferencePattern().IsMatch(image))
        {
            Report(node, Lowercased(image) is { } lowercase
                ? $"{_section.Describe("image")} must be lowercase before its tag, as every image name is: {lowercase}"
                : $"{_section.Describe("image")} is not an image reference like postgres:16, ghcr.io/acme/orders:1.2 or localhost:5000/orders@sha256:…");
        }

        return image;
    }

    /// <summary>The reference with its name (not its tag or digest) in lowercase, when that is all it lacked; else null.</summary>
    private static string? Lowercased(string image)
    {
        var digest = image.IndexOf('@', StringComparison.Ordinal);
        var name = digest < 0 ? image : image[..digest];
        var tag = name.LastIndexOf(':') is var colon && colon > name.LastIndexOf('/') ? colon : -1;
        var end = tag >= 0 ? tag : name.Length;
        var lowercase = image[..end].ToLowerInvariant() + image[end..];
        return lowercase != image && ImageReferencePattern().IsMatch(lowercase) ? lowercase : null;
    }

    private T ReadChoice<T>(string key, T fallback, params (string Name, T Value)[] choices)
    {
        var expected = string.Join(" or ", choices.Select(c => c.Name));
        if (_section.Scalar(key, expected) is not { } node)
        {
            return fallback;
        }

        foreach (var (name, value) in choices)
        {
            if (node.Value == name)
            {
                return value;
            }
        }

        Report(node, $"{_section.Describe(key)} must be {expected}, not '{node.Value}'");
        return fallback;
    }

    private string? ReadContainerWorkingDir()
    {
        if (NonBlankText("workingDir") is not { Value: { } dir } node)
        {
            return null;
        }

        if (!dir.StartsWith('/'))
        {
            Report(node, $"{_section.Describe("workingDir")} is a folder inside the container and must be absolute, like /app");
            return null;
        }

        return dir;
    }

    private string? ReadSeccomp()
    {
        if (NonBlankText("seccomp") is not { Value: { } value } node)
        {
            return null;
        }

        switch (value)
        {
            case "default":
                return null;
            case "unconfined":
                return value;
        }

        var path = Path.GetFullPath(ExpandHome(value), _manifestDirectory);
        if (!File.Exists(path))
        {
            Report(node, $"{_section.Describe("seccomp")} must be default, unconfined or a seccomp profile file; {path} does not exist");
            return null;
        }

        return path;
    }

    private ImmutableArray<VolumeMount> ReadVolumes()
    {
        var volumes = ImmutableArray.CreateBuilder<VolumeMount>();
        foreach (var node in _section.Strings("volumes"))
        {
            if (ParseVolume(node.Value!) is { } volume)
            {
                volumes.Add(volume);
            }
            else
            {
                Report(node, $"volume '{node.Value}' of service '{_name}' must be SOURCE:TARGET[:ro], with SOURCE a host path (./data, /srv/data, ~/data) or a volume name, and TARGET an absolute path in the container");
            }
        }

        return volumes.ToImmutable();
    }

    private VolumeMount? ParseVolume(string text)
    {
        var parts = text.Split(':');
        var readOnly = false;
        if (parts.Length == 3 && parts[2] is "ro" or "rw")
        {
            readOnly = parts[2] == "ro";
        }
        else if (parts.Length != 2)
        {
            return null;
        }

        var (source, target) = (parts[0], parts[1]);
        if (!target.StartsWith('/') || source.Length == 0)
        {
            return null;
        }

        if (source.StartsWith('.') || source.StartsWith('/') || source.StartsWith('~'))
        {
            return new VolumeMount(Path.GetFullPath(ExpandHome(source), _manifestDirectory), target, readOnly);
        }

        return VolumeNamePattern().IsMatch(source) ? new VolumeMount(source, target, readOnly) : null;
    }

    /// <summary>A list of service names (<c>dependsOn</c>, <c>calls</c>), each with where it was written; checked against the manifest later.</summary>
    private ImmutableArray<Located<string>> ReadServiceNames(string key)
    {
        var names = ImmutableArray.CreateBuilder<Located<string>>();
        foreach (var node in _section.Strings(key))
        {
            names.Add(new Located<string>(node.Value!, _diagnostics.At(node)));
        }

        return names.ToImmutable();
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..]
            : path;

    // [registry[:port]/]name[/name…][:tag][@sha256:digest], names lowercase as the engine requires.
    [GeneratedRegex(@"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ImageReferencePattern();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex VolumeNamePattern();
}
