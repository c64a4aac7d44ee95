namespace MeshDev.Catalog;

/// <summary>
/// What differs between loading a manifest and loading a compose file; everything else (bounds, duplicate keys, the sentences
/// for broken YAML) is the same <see cref="ManifestYaml"/>.
/// </summary>
/// <param name="Name">What the file is called in a sentence ("manifest", "compose file").</param>
/// <param name="EmptyMessage">Said at 1:1 when the text holds no YAML document.</param>
/// <param name="SecondDocumentMessage">Said at a second document: the first is still used, so the caller decides whether this is an error.</param>
internal sealed record YamlFileKind(string Name, string EmptyMessage, string SecondDocumentMessage)
{
    /// <summary>A manifest: one document, and a second one is an error to remove.</summary>
    public static YamlFileKind Manifest { get; } = new(
        "manifest",
        "the manifest is empty; declare your services under 'services'",
        "the manifest must be a single YAML document; remove this second one");
}
