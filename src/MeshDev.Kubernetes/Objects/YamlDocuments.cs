using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Kubernetes.Objects;

/// <summary>
/// The documents of a Kubernetes manifest file as JSON objects, typed the way <c>kubectl</c> reads YAML (YAML 1.1
/// scalars: a plain <c>8080</c> is a number, <c>"8080"</c> a string, <c>yes</c> a boolean), so that the server-side
/// apply of a team's manifest means what <c>kubectl apply</c> of it would.
/// </summary>
internal static partial class YamlDocuments
{
    /// <summary>The non-empty documents of <paramref name="yaml"/> with their number in the file (from 1); a <c>kind: List</c> is replaced by its items.</summary>
    public static IReadOnlyList<(int Document, JsonObject Body)> Parse(string yaml, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new Runtime.LaunchException($"{file}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.InnerException?.Message ?? e.Message}", e);
        }

        var documents = new List<(int, JsonObject)>();
        var index = 0;
        foreach (var document in stream.Documents)
        {
            index++;
            switch (ToJson(document.RootNode))
            {
                case null:
                    continue;
                case JsonObject { } list when list["kind"]?.GetValueKind() == System.Text.Json.JsonValueKind.String && list["kind"]!.GetValue<string>() == "List":
                    documents.AddRange((list["items"] as JsonArray ?? []).OfType<JsonObject>().Select(item => (index, (JsonObject)item.DeepClone())));
                    break;
                case JsonObject { } manifest:
                    documents.Add((index, manifest));
                    break;
                default:
                    throw new Runtime.LaunchException($"{file}: document {index} is not a mapping (an object with apiVersion, kind and metadata)");
            }
        }

        return documents;
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => ToObject(mapping),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => ToScalar(scalar),
        _ => null,
    };

    private static JsonObject ToObject(YamlMappingNode mapping)
    {
        var result = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            // Keys are strings in Kubernetes objects, even a plain 80 (an annotation named "80" is still a string).
            result[(key as YamlScalarNode)?.Value ?? key.ToString()] = ToJson(value);
        }

        return result;
    }

    private static JsonValue? ToScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any) || scalar.Tag == "tag:yaml.org,2002:str")
        {
            return JsonValue.Create(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "y" or "Y" or "on" or "On" or "ON":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "n" or "N" or "off" or "Off" or "OFF":
                return JsonValue.Create(false);
        }

        if (IntegerPattern().IsMatch(text) && long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        // YAML 1.1 octal, as file modes are usually written (defaultMode: 0644).
        if (OctalPattern().IsMatch(text))
        {
            return JsonValue.Create(Convert.ToInt64(text.StartsWith("0o", StringComparison.Ordinal) ? text[2..] : text[1..], 8));
        }

        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9_]*)$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^0o?[0-7]+$")]
    private static partial Regex OctalPattern();

    [GeneratedRegex(@"^[-+]?([0-9][0-9_]*)?\.[0-9]+([eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$")]
    private static partial Regex FloatPattern();
}
