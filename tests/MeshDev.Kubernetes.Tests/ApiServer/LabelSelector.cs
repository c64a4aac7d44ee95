using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// A parsed <c>labelSelector</c> query: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x,y)</c>,
/// <c>a</c> and <c>!a</c>, comma-separated and all required, as the API server reads them.
/// </summary>
internal sealed class LabelSelector
{
    private readonly IReadOnlyList<Func<IDictionary<string, string>?, bool>> _requirements;

    private LabelSelector(IReadOnlyList<Func<IDictionary<string, string>?, bool>> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Func<IDictionary<string, string>?, bool>>();
        foreach (var part in SplitTopLevel(text))
        {
            requirements.Add(ParseRequirement(part.Trim(), text));
        }

        return new LabelSelector(requirements);
    }

    /// <summary>The selector string <c>kubectl</c> and the scale subresource show for a structured selector.</summary>
    public static string Format(V1LabelSelector? selector)
    {
        if (selector is null)
        {
            return "";
        }

        var parts = new List<string>();
        foreach (var (key, value) in (selector.MatchLabels ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            parts.Add($"{key}={value}");
        }

        foreach (var expression in selector.MatchExpressions ?? [])
        {
            var values = string.Join(",", expression.Values ?? []);
            parts.Add(expression.OperatorProperty switch
            {
                "In" => $"{expression.Key} in ({values})",
                "NotIn" => $"{expression.Key} notin ({values})",
                "Exists" => expression.Key,
                _ => $"!{expression.Key}",
            });
        }

        return string.Join(",", parts);
    }

    public bool Matches(IDictionary<string, string>? labels) => _requirements.All(r => r(labels));

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static Func<IDictionary<string, string>?, bool> ParseRequirement(string part, string whole)
    {
        if (part.Length == 0)
        {
            throw Invalid(whole);
        }

        var setMatch = System.Text.RegularExpressions.Regex.Match(part, @"^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$");
        if (setMatch.Success)
        {
            var key = setMatch.Groups[1].Value;
            var values = setMatch.Groups[3].Value.Split(',', StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            return setMatch.Groups[2].Value == "in"
                ? labels => labels is not null && labels.TryGetValue(key, out var v) && values.Contains(v)
                : labels => labels is null || !labels.TryGetValue(key, out var v) || !values.Contains(v);
        }

        var notEquals = part.IndexOf("!=", StringComparison.Ordinal);
        if (notEquals > 0)
        {
            var key = Key(part[..notEquals], whole);
            var value = part[(notEquals + 2)..].Trim();
            return labels => labels is null || !labels.TryGetValue(key, out var v) || v != value;
        }

        var equals = part.IndexOf('=');
        if (equals > 0)
        {
            var key = Key(part[..equals], whole);
            var value = part[(equals + (part.AsSpan(equals).StartsWith("==") ? 2 : 1))..].Trim();
            return labels => labels is not null && labels.TryGetValue(key, out var v) && v == value;
        }

        if (part.StartsWith('!'))
        {
            var key = Key(part[1..], whole);
            return labels => labels is null || !labels.ContainsKey(key);
        }

        var existsKey = Key(part, whole);
        return labels => labels is not null && labels.ContainsKey(existsKey);
    }

    private static string Key(string text, string whole)
    {
        var key = text.Trim();
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '=' or '!' or ','))
        {
            throw Invalid(whole);
        }

        return key;
    }

    private static ApiStatusException Invalid(string whole) =>
        ApiStatusException.BadRequest($"unable to parse requirement: found '{whole}', expected: identifier");
}
