using System.Collections.Immutable;
using System.Xml;
using System.Xml.Linq;

namespace MeshDev.Authoring.Init;

/// <summary>
/// What <c>init</c> needs from a project file, read as XML without evaluating MSBuild (no restore, no build, so it is
/// fast): its SDKs, a few properties, package and framework references and its <c>Protobuf</c> items. Properties set in
/// a <c>Directory.Build.props</c> are not seen.
/// </summary>
internal sealed record ProjectFile
{
    /// <summary>The absolute path of the project file.</summary>
    public required string Path { get; init; }

    /// <summary>The file name without extension, which <c>dotnet new</c> and the IDEs make the project's name.</summary>
    public string Name => System.IO.Path.GetFileNameWithoutExtension(Path);

    public string Directory => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>The SDKs named on <c>&lt;Project Sdk&gt;</c>, <c>&lt;Sdk Name&gt;</c> or <c>&lt;Import Sdk&gt;</c>, without versions.</summary>
    public ImmutableArray<string> Sdks { get; init; } = [];

    /// <summary>Each property's value as last set in the file, conditions ignored (names compared ignoring case).</summary>
    public ImmutableDictionary<string, string> Properties { get; init; } = ImmutableDictionary<string, string>.Empty;

    public ImmutableArray<string> PackageReferences { get; init; } = [];

    public ImmutableArray<string> FrameworkReferences { get; init; } = [];

    /// <summary>The <c>.proto</c> files the project compiles with a server stub (<c>GrpcServices</c> Server or Both, the default).</summary>
    public ImmutableArray<string> ServerProtos { get; init; } = [];

    /// <summary>True for <c>.csproj</c>, <c>.fsproj</c> and <c>.vbproj</c>: what <c>dotnet build</c> and <c>project:</c> take.</summary>
    public static bool IsProjectPath(string path) =>
        path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".fsproj", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".vbproj", StringComparison.OrdinalIgnoreCase);

    public string? Property(string name) => Properties.GetValueOrDefault(name);

    public bool References(string package) => PackageReferences.Contains(package, StringComparer.OrdinalIgnoreCase);

    public bool HasSdk(string sdk) => Sdks.Contains(sdk, StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InitException">The file cannot be read or is not XML; the message names the file.</exception>
    public static ProjectFile Read(string path)
    {
        XDocument document;
        try
        {
            document = XDocument.Load(path, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new InitException($"{path}:{e.LineNumber}:{e.LinePosition}: not a valid project file: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InitException($"cannot read {path}: {e.Message}");
        }

        // Old-style project files carry the MSBuild XML namespace; local names read both kinds.
        var elements = document.Descendants().ToList();
        var properties = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in elements.Where(e => e.Parent?.Name.LocalName == "PropertyGroup" && !e.HasElements))
        {
            properties[property.Name.LocalName] = property.Value.Trim();
        }

        var directory = System.IO.Path.GetDirectoryName(path)!;
        return new ProjectFile
        {
            Path = path,
            Sdks = [.. ReadSdks(document.Root, elements)],
            Properties = properties.ToImmutable(),
            PackageReferences = [.. Includes(elements, "PackageReference")],
            FrameworkReferences = [.. Includes(elements, "FrameworkReference")],
            ServerProtos = [.. elements
                .Where(e => e.Name.LocalName == "Protobuf" && IsServer(e))
                .SelectMany(e => Split((string?)e.Attribute("Include")))
                .SelectMany(include => ProtoPaths.Expand(directory, include))
                .Distinct(StringComparer.Ordinal)],
        };
    }

    private static IEnumerable<string> ReadSdks(XElement? root, List<XElement> elements)
    {
        var named = Split((string?)root?.Attribute("Sdk"))
            .Concat(elements.Where(e => e.Name.LocalName == "Sdk").Select(e => (string?)e.Attribute("Name") ?? ""))
            .Concat(elements.Where(e => e.Name.LocalName == "Import").Select(e => (string?)e.Attribute("Sdk") ?? ""));

        // "Microsoft.NET.Sdk.Web/9.0.100": the version is not part of the name.
        return named.Select(sdk => sdk.Split('/')[0].Trim()).Where(sdk => sdk.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase);
    }

    private static IEnumerable<string> Includes(List<XElement> elements, string item) =>
        elements.Where(e => e.Name.LocalName == item).SelectMany(e => Split((string?)e.Attribute("Include")));

    // Grpc.Tools generates both stubs when GrpcServices is not set; Client and None generate no server.
    private static bool IsServer(XElement protobuf)
    {
        var services = (string?)protobuf.Attribute("GrpcServices")
            ?? protobuf.Elements().FirstOrDefault(e => e.Name.LocalName == "GrpcServices")?.Value;
        return services is null || services.Trim().Equals("Server", StringComparison.OrdinalIgnoreCase)
            || services.Trim().Equals("Both", StringComparison.OrdinalIgnoreCase);
    }

    private static string[] Split(string? list) =>
        (list ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
