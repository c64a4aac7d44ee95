namespace MeshDev.Runtime;

/// <summary>An address a service answers on.</summary>
public readonly record struct ServiceEndpoint(string Host, int Port)
{
    public Uri HttpUri => new($"http://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}/");

    public override string ToString() => $"{Host}:{Port}";
}
