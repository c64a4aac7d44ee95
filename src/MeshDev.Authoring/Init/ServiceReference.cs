namespace MeshDev.Authoring.Init;

/// <summary>A name a project uses to reach another service (<paramref name="Name"/>, lowercase), as <paramref name="Text"/> in <paramref name="File"/>.</summary>
internal sealed record ServiceReference(string Name, string Text, string File);
