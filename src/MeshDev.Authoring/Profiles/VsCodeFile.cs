using System.Text.Json;
using System.Text.Json.Nodes;

namespace MeshDev.Authoring.Profiles;

/// <summary>What launch.json and tasks.json share: an object with a <c>version</c> and an array of entries identified by a name.</summary>
internal static class VsCodeFile
{
    /// <summary>Adds <c>"version": <paramref name="version"/></c> when the file has no version; an existing one is the user's.</summary>
    public static void EnsureVersion(JsoncEditor editor, string version, string fileName)
    {
        var root = RequireRoot(editor, fileName);
        if (root.Member("version") is null)
        {
            editor.SetMember(root, "version", version);
        }
    }

    /// <summary>Replaces the item of <paramref name="arrayName"/> whose <paramref name="key"/> is <paramref name="id"/>, or adds it; creates the array when missing.</summary>
    public static void SetEntry(JsoncEditor editor, string arrayName, string key, string id, JsonObject entry, string fileName)
    {
        var root = RequireRoot(editor, fileName);
        if (root.Member(arrayName) is not { } array)
        {
            editor.SetMember(root, arrayName, new JsonArray(entry));
            return;
        }

        if (array.Kind != JsonValueKind.Array)
        {
            throw editor.ProblemAt(array, $"'{arrayName}' must be an array");
        }

        editor.SetItem(array, item => item.Member(key)?.String == id, entry);
    }

    private static JsoncValue RequireRoot(JsoncEditor editor, string fileName) =>
        editor.Root.Kind == JsonValueKind.Object ? editor.Root : throw editor.ProblemAt(editor.Root, $"the top level of {fileName} must be an object");
}
