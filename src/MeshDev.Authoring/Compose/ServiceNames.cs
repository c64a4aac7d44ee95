using System.Text;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// Manifest service names are DNS labels (they become host names); compose allows more (<c>my_db</c>, <c>Api.V2</c>).
/// Gives every compose service a label of its own.
/// </summary>
internal static class ServiceNames
{
    private const int MaxLength = 63;

    /// <summary>The manifest name of each compose service. Valid names are kept, so a converted name never takes one of them.</summary>
    public static Dictionary<string, string> Assign(IReadOnlyList<string> composeNames)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var taken = composeNames.Where(ManifestValues.IsValidServiceName).ToHashSet(StringComparer.Ordinal);
        foreach (var composeName in composeNames)
        {
            if (ManifestValues.IsValidServiceName(composeName))
            {
                names[composeName] = composeName;
                continue;
            }

            names[composeName] = Unique(ToDnsLabel(composeName), taken);
        }

        return names;
    }

    /// <summary><paramref name="label"/>, or <c>label-2</c>, <c>label-3</c>… the first not in <paramref name="taken"/>, which it joins.</summary>
    public static string Unique(string label, HashSet<string> taken)
    {
        var unique = label;
        for (var n = 2; !taken.Add(unique); n++)
        {
            var suffix = $"-{n}";
            unique = label[..Math.Min(label.Length, MaxLength - suffix.Length)].TrimEnd('-') + suffix;
        }

        return unique;
    }

    /// <summary>Lowercase; every run of other characters becomes one '-'; at most 63 characters; never empty.</summary>
    public static string ToDnsLabel(string name)
    {
        var label = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            if (char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
            {
                label.Append(c);
            }
            else if (label.Length > 0 && label[^1] != '-')
            {
                label.Append('-');
            }
        }

        var text = label.ToString();
        text = text[..Math.Min(text.Length, MaxLength)].Trim('-');
        return text.Length == 0 ? "service" : text;
    }
}
