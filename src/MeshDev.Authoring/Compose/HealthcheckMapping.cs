using System.Collections.Immutable;
using MeshDev.Catalog;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// A compose <c>healthcheck</c> becomes the manifest's <c>ready</c> probe: <c>["CMD", a, b]</c> runs <c>a b</c> in the
/// container, <c>["CMD-SHELL", s]</c> or a plain string runs <c>/bin/sh -c s</c>, and a disabled check leaves the TCP probe.
/// </summary>
internal static class HealthcheckMapping
{
    /// <summary>The probe: an exec command, or <see cref="Tcp"/>; neither when the compose file sets no test.</summary>
    public readonly record struct Ready(ImmutableArray<string>? Exec, bool Tcp);

    // Compose's pacing of the check; the mesh probes right after launch and then on its own short schedule.
    private static readonly ImmutableArray<string> TimingKeys = ["interval", "timeout", "retries", "start_period", "start_interval"];

    public static Ready Read(YamlNode value, string path, ComposeReader reader)
    {
        if (value is not YamlMappingNode mapping)
        {
            reader.Report(value, $"{path} must be a mapping (ignored)");
            return default;
        }

        YamlNode? test = null;
        var disabled = false;
        var timing = new List<YamlScalarNode>();
        foreach (var (key, item) in reader.Entries(mapping))
        {
            switch (key.Value)
            {
                case "test":
                    test = item;
                    break;
                case "disable":
                    disabled = reader.Text(item) is { } text && ManifestValues.TryParseBool(text, out var flag) && flag;
                    break;
                case var name when TimingKeys.Contains(name!):
                    timing.Add(key);
                    break;
                default:
                    reader.Report(key, $"{path}.{key.Value} is not supported (ignored)");
                    break;
            }
        }

        if (timing.Count > 0)
        {
            var names = string.Join(", ", timing.Select(key => key.Value));
            reader.Report(timing[0], $"{path} {names} {(timing.Count == 1 ? "is" : "are")} not needed: the mesh probes readiness at its own fast cadence (ignored)");
        }

        if (disabled)
        {
            return new Ready(null, Tcp: true);
        }

        return test is null || ManifestNodes.IsNull(test) ? default : ReadTest(test, $"{path}.test", reader);
    }

    private static Ready ReadTest(YamlNode test, string path, ComposeReader reader)
    {
        if (test is YamlScalarNode)
        {
            return Shell(reader.Text(test) ?? "", test, path, reader);
        }

        var words = new List<string>();
        foreach (var item in reader.Items(test, path))
        {
            if (reader.Scalar(item, path, "a list of strings") is { } word)
            {
                words.Add(word);
            }
        }

        switch (words)
        {
            case []:
                return default;
            case ["NONE", ..]:
                return new Ready(null, Tcp: true);
            case ["CMD"]:
                reader.Report(test, $"{path} has no command (ignored)");
                return default;
            case ["CMD", ..]:
                return new Ready([.. words.Skip(1)], Tcp: false);
            case ["CMD-SHELL", ..]:
                return Shell(string.Join(' ', words.Skip(1)), test, path, reader);
            default:
                reader.Report(test, $"{path} must start with CMD, CMD-SHELL or NONE, or be one shell command (ignored)");
                return default;
        }
    }

    private static Ready Shell(string command, YamlNode test, string path, ComposeReader reader)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            reader.Report(test, $"{path} has no command (ignored)");
            return default;
        }

        return new Ready(["/bin/sh", "-c", command], Tcp: false);
    }
}
