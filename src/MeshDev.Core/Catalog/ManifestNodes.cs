using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Catalog;

/// <summary>YAML facts the representation model leaves to its callers.</summary>
internal static class ManifestNodes
{
    /// <summary>
    /// True for a YAML null: an empty value (<c>key:</c>), <c>~</c> or <c>null</c>, written plain.
    /// The representation model keeps these as scalars, and a quoted <c>""</c> is a real empty string.
    /// </summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };
}
