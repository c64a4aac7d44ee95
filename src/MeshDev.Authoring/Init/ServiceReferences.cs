using System.Text.Json;
using System.Text.RegularExpressions;

namespace MeshDev.Authoring.Init;

/// <summary>
/// The services a project calls, as far as its text shows them: <c>services:{name}</c> configuration keys (the .NET
/// service-discovery form, nested or flat in <c>appsettings*.json</c>, <c>Configuration["services:orders:http:0"]</c> or
/// <c>services__orders__http__0</c> in code) and <c>http://orders</c> / <c>https+http://orders</c> base addresses, as
/// <c>AddHttpClient</c> and <c>AddGrpcClient</c> calls set them. Which of the names are services is the caller's to decide.
/// </summary>
internal static partial class ServiceReferences
{
    private static readonly JsonDocumentOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Every reference in the project's configuration files and <paramref name="sources"/>, in file order.</summary>
    public static IEnumerable<ServiceReference> Find(ProjectFile project, IReadOnlyList<SourceText> sources)
    {
        foreach (var settings in Directory.EnumerateFiles(project.Directory, "appsettings*.json").Order(StringComparer.Ordinal))
        {
            foreach (var reference in InSettings(settings))
            {
                yield return reference;
            }
        }

        foreach (var source in sources)
        {
            foreach (var reference in InText(source.Path, source.Text))
            {
                yield return reference;
            }
        }
    }

    /// <summary>The name of a <c>services__{name}__…</c> environment variable (as a launch profile may set), or null.</summary>
    public static string? FromEnvironmentName(string variable) =>
        ConfigurationKey().Match($"\"{variable}") is { Success: true } match ? match.Groups["name"].Value.ToLowerInvariant() : null;

    private static List<ServiceReference> InSettings(string path)
    {
        var text = SourceText.Read(path);
        var found = InText(path, text).ToList();
        try
        {
            using var document = JsonDocument.Parse(text, JsonOptions);
            found.AddRange(Keys(document.RootElement, "")
                .Select(key => key.Split(':'))
                .Where(parts => parts.Length > 1 && parts[0].Equals("services", StringComparison.OrdinalIgnoreCase) && parts[1].Length > 0)
                .Select(parts => new ServiceReference(parts[1].ToLowerInvariant(), $"services:{parts[1]}", path)));
        }
        catch (JsonException)
        {
            // A file the app itself could not load either; what the text search found stands.
        }

        return found;
    }

    /// <summary>Every key path of the JSON, joined with ':' as .NET configuration joins them.</summary>
    private static IEnumerable<string> Keys(JsonElement element, string prefix)
    {
        IEnumerable<(string Name, JsonElement Value)> children = element.ValueKind switch
        {
            JsonValueKind.Object => element.EnumerateObject().Select(p => (p.Name, p.Value)),
            JsonValueKind.Array => element.EnumerateArray().Select((v, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), v)),
            _ => [],
        };
        foreach (var (name, value) in children)
        {
            var key = prefix.Length == 0 ? name : $"{prefix}:{name}";
            yield return key;
            foreach (var nested in Keys(value, key))
            {
                yield return nested;
            }
        }
    }

    private static IEnumerable<ServiceReference> InText(string path, string text) =>
        ConfigurationKey().Matches(text).Concat(BaseAddress().Matches(text))
            .OrderBy(m => m.Index)
            .Select(m => new ServiceReference(m.Groups["name"].Value.ToLowerInvariant(), m.Value.TrimStart('"'), path));

    [GeneratedRegex("""(?<=")services(:|__)(?<name>[A-Za-z0-9][A-Za-z0-9-]*)(?=[:"]|__)""", RegexOptions.IgnoreCase)]
    private static partial Regex ConfigurationKey();

    [GeneratedRegex("""(?<=")(https?|https\+http|http\+https)://(?<name>[A-Za-z0-9][A-Za-z0-9-]*)(?=[:/"])""", RegexOptions.IgnoreCase)]
    private static partial Regex BaseAddress();
}
