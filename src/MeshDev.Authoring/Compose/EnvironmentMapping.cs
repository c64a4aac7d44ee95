using System.Collections.Immutable;
using MeshDev.Catalog;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// A service's <c>env</c>, built as compose builds the container's environment: the <c>env_file</c> files in order
/// (a later file wins), then <c>environment</c> (which wins over every file).
/// </summary>
internal sealed class EnvironmentMapping(ImportContext context, string servicePath)
{
    private readonly List<string> _order = [];
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static ImmutableArray<KeyValuePair<string, string>> Read(ImportContext context, string servicePath, YamlNode? envFile, YamlNode? environment)
    {
        var mapping = new EnvironmentMapping(context, servicePath);
        if (envFile is not null)
        {
            mapping.ReadEnvFiles(envFile);
        }

        if (environment is not null)
        {
            mapping.ReadEnvironment(environment);
        }

        return [.. mapping._order.Select(name => KeyValuePair.Create(name, mapping._values[name]))];
    }

    private ComposeReader Reader => context.Reader;

    private void ReadEnvFiles(YamlNode value)
    {
        var path = $"{servicePath}.env_file";
        var items = value is YamlSequenceNode ? Reader.Items(value, path) : [value];
        foreach (var item in items)
        {
            switch (item)
            {
                case YamlScalarNode when Reader.Text(item) is { } file:
                    ReadEnvFile(item, path, file, required: true);
                    break;
                case YamlMappingNode entry:
                    if (EnvFileEntry(entry, path) is { } found)
                    {
                        ReadEnvFile(item, path, found.File, found.Required);
                    }

                    break;
                default:
                    Reader.Report(item, $"{path} must be a file name, a list of them, or entries with 'path' (ignored)");
                    break;
            }
        }
    }

    /// <summary>The long form <c>{ path: ./a.env, required: false }</c>.</summary>
    private (string File, bool Required)? EnvFileEntry(YamlMappingNode entry, string path)
    {
        string? file = null;
        var required = true;
        foreach (var (key, value) in Reader.Entries(entry))
        {
            switch (key.Value)
            {
                case "path":
                    file = Reader.Scalar(value, $"{path}.path", "a file name");
                    break;
                case "required" when Reader.Text(value) is { } text && ManifestValues.TryParseBool(text, out var flag):
                    required = flag;
                    break;
                case "format":
                    // Only the default format exists so far.
                    break;
                default:
                    Reader.Report(key, $"{path}.{key.Value} is not supported (ignored)");
                    break;
            }
        }

        if (file is null)
        {
            Reader.Report(entry, $"{path} entry has no 'path' (ignored)");
            return null;
        }

        return (file, required);
    }

    private void ReadEnvFile(YamlNode node, string path, string file, bool required)
    {
        var shown = context.FilePath(file);
        string? text;
        try
        {
            text = context.Sources.ReadFile(shown);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Reader.Report(node, $"{path} {shown} cannot be read: {e.Message} (ignored)");
            return;
        }

        if (text is null)
        {
            if (required)
            {
                Reader.Report(node, $"{path} {shown} does not exist (ignored)");
            }

            return;
        }

        var entries = EnvFile.Parse(
            text, (line, column, message) => Reader.Findings.Report(new SourceLocation(shown, line, column), message));
        foreach (var entry in entries)
        {
            void Report(string message) =>
                Reader.Findings.Report(new SourceLocation(shown, entry.Line, entry.Column), message);
            var value = entry.Value is { } raw && entry.Substitutes ? Reader.Interpolation.Substitute(raw, Report) : entry.Value;
            Set(entry.Name, value, "", Report);
        }
    }

    private void ReadEnvironment(YamlNode value)
    {
        var path = $"{servicePath}.environment";
        switch (value)
        {
            case YamlMappingNode mapping:
                foreach (var (key, item) in Reader.Entries(mapping))
                {
                    if (item is not YamlScalarNode)
                    {
                        Reader.Report(item, $"{path} {key.Value} must be a string (ignored)");
                        continue;
                    }

                    Set(key.Value ?? "", Reader.Text(item), $"{path} ", message => Reader.Report(key, message));
                }

                break;
            case YamlSequenceNode:
                foreach (var item in Reader.Items(value, path))
                {
                    if (Reader.Scalar(item, path, "a list of NAME=value") is not { } text)
                    {
                        continue;
                    }

                    var equals = text.IndexOf('=');
                    Set(equals < 0 ? text : text[..equals], equals < 0 ? null : text[(equals + 1)..], $"{path} ", message => Reader.Report(item, message));
                }

                break;
            default:
                Reader.Report(value, $"{path} must be a mapping or a list of NAME=value (ignored)");
                break;
        }
    }

    /// <summary>Sets one variable; <paramref name="value"/> null means it was named without a value (reported, left out).</summary>
    private void Set(string name, string? value, string prefix, Action<string> report)
    {
        if (!ManifestValues.IsValidEnvironmentName(name))
        {
            report($"{prefix}'{name}' is left out: manifest variable names are letters, digits and '_', not starting with a digit");
            return;
        }

        // The manifest refuses PORT in env: the mesh sets it from 'port:' at every launch.
        if (name == "PORT")
        {
            report($"{prefix}PORT is left out: the mesh sets PORT from 'port:' at every launch");
            return;
        }

        if (value is null)
        {
            report($"{prefix}{name} has no value: compose passes it from the shell, the manifest leaves it out");
            return;
        }

        if (_values.TryAdd(name, value))
        {
            _order.Add(name);
        }
        else
        {
            _values[name] = value;
        }
    }
}
