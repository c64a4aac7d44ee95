using System.Text.Json;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// A value of a JSONC text together with the bytes it occupies, so that an edit can replace exactly this value and
/// leave every other byte of the file as it was.
/// </summary>
internal sealed class JsoncValue
{
    public required JsonValueKind Kind { get; init; }

    /// <summary>Offset of the value's first byte (an opening brace or bracket, a quote, a digit…).</summary>
    public required int Start { get; init; }

    /// <summary>Offset just past the value's last byte (the closing brace, bracket or quote).</summary>
    public required int End { get; init; }

    /// <summary>The members of an object, in file order; empty for other kinds.</summary>
    public IReadOnlyList<JsoncMember> Members { get; init; } = [];

    /// <summary>The items of an array, in file order; empty for other kinds.</summary>
    public IReadOnlyList<JsoncValue> Items { get; init; } = [];

    /// <summary>The unescaped text of a string value; null for other kinds.</summary>
    public string? String { get; init; }

    /// <summary>The value of the first member called <paramref name="name"/> (JSON names are case-sensitive), or null.</summary>
    public JsoncValue? Member(string name) => Members.FirstOrDefault(m => m.Name == name)?.Value;
}

/// <summary>One <c>"name": value</c> of an object; <see cref="NameStart"/> is the offset of the name's opening quote.</summary>
internal sealed record JsoncMember(string Name, int NameStart, JsoncValue Value);
