using System.Globalization;

namespace MeshDev.Text;

/// <summary>Counts in what users read: "1 service", "2 services", "2 processes" — never "service(s)".</summary>
public static class Plural
{
    /// <summary>The count and the noun in the form it takes: <c>Of(1, "service")</c> is "1 service", <c>Of(0, "process")</c> "0 processes".</summary>
    /// <param name="plural">The plural when adding "s" or "es" does not make it (e.g. "entries").</param>
    public static string Of(int count, string noun, string? plural = null) =>
        $"{count.ToString(CultureInfo.InvariantCulture)} {Noun(count, noun, plural)}";

    /// <summary>The noun alone, singular for exactly one: for lists that follow it ("namespace a", "namespaces a, b").</summary>
    /// <param name="plural">The plural when adding "s" or "es" does not make it.</param>
    public static string Noun(int count, string noun, string? plural = null) =>
        count == 1 ? noun : plural ?? Regular(noun);

    // English adds "es" after a hissing sound (process, box, match, mesh); every noun the messages count is regular.
    private static string Regular(string noun) =>
        noun.EndsWith('s') || noun.EndsWith('x') || noun.EndsWith("ch", StringComparison.Ordinal) || noun.EndsWith("sh", StringComparison.Ordinal)
            ? noun + "es"
            : noun + "s";
}
