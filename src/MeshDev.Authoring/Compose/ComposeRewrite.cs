namespace MeshDev.Authoring.Compose;

/// <summary>An <c>env</c> value of <paramref name="Service"/> whose compose host name became the mesh's address.</summary>
public sealed record ComposeRewrite(string Service, string Variable, string Before, string After)
{
    public override string ToString() => $"{Service} {Variable}: {Before} → {After}";
}
