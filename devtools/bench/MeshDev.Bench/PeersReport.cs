using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshDev.Bench;

/// <summary>
/// devtools/bench/peers-results.md holds the latest gRPC part and the latest TCP part (each run with its own --only,
/// so one does not wipe the other); each section says on what machine and commit it ran.
/// </summary>
internal static partial class PeersReport
{
    public static async Task WriteAsync(string path, Machine machine, string part, string section)
    {
        var sections = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            foreach (Match match in SectionPattern().Matches(await File.ReadAllTextAsync(path).ConfigureAwait(false)))
            {
                sections[match.Groups[1].Value] = match.Value.TrimEnd() + "\n";
            }
        }

        sections[part] = string.Create(CultureInfo.InvariantCulture,
            $"<!-- part: {part} -->\n{machine.Date}; {machine.Cpus} CPU(s) {machine.CpuModel}; {machine.Runtime}; commit {machine.Commit}; load at start {machine.LoadAtStart}\n\n{section.TrimEnd()}\n");
        await File.WriteAllTextAsync(path, "# The warm path against its peers: gRPC unary and TCP\n\n" + string.Join("\n", sections.Values)).ConfigureAwait(false);
    }

    [GeneratedRegex(@"<!-- part: (\w+) -->.*?(?=<!-- part: |\z)", RegexOptions.Singleline)]
    private static partial Regex SectionPattern();
}
