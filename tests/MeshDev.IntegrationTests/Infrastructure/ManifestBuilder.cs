using System.Globalization;
using System.Text;
using System.Text.Json;
using MeshDev.Runtime;
using MeshDev.Testing;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>
/// Writes a test's <c>meshdev.yaml</c>: a shared port, an xDS port and, per service, a mesh port, all free ports picked now, and
/// services that run the real TestService (<c>dotnet MeshDev.TestService.dll flags…</c>) with the test's tag in
/// their environment.
/// </summary>
internal sealed class ManifestBuilder
{
    private readonly HashSet<int> _ports = [];
    private readonly List<string> _services = [];
    private readonly List<string> _meshSettings = [];
    private readonly Dictionary<string, int> _meshPorts = new(StringComparer.Ordinal);

    public ManifestBuilder(string tag)
    {
        Tag = tag;
        SharedPort = NewPort();
        XdsPort = NewPort();
    }

    public string Tag { get; }

    public int SharedPort { get; }

    /// <summary>The mesh's ADS port (<c>mesh.xds</c>): its own per test, so meshes of parallel tests do not collide on 15010.</summary>
    public int XdsPort { get; }

    public IReadOnlyDictionary<string, int> MeshPorts => _meshPorts;

    /// <summary>Adds a service that runs the TestService with <paramref name="flags"/> (see the header of its Program.cs).</summary>
    /// <param name="ready">The <c>ready:</c> value; the TestService's health endpoint by default.</param>
    /// <param name="port">A fixed <c>port:</c> (the service's own); <c>auto</c> when null.</param>
    /// <param name="command">Replaces <c>dotnet</c> and the TestService arguments (e.g. a command that does not exist).</param>
    /// <param name="env">More environment variables for the service.</param>
    /// <param name="extra">More settings, each <c>key: value</c> (idleTimeout, startTimeout, stopGracePeriod…).</param>
    public ManifestBuilder Service(
        string name,
        string[]? flags = null,
        string ready = "{ http: /healthz }",
        string[]? hosts = null,
        string[]? paths = null,
        int? port = null,
        string? command = null,
        IReadOnlyDictionary<string, string>? env = null,
        params string[] extra)
    {
        var meshPort = NewPort();
        _meshPorts[name] = meshPort;
        var yaml = new StringBuilder();
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  {name}:");
        if (command is not null)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    command: {Quote(command)}");
        }
        else
        {
            yaml.AppendLine("    command: dotnet");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    args: [{string.Join(", ", new[] { TestPaths.TestServiceDll }.Concat(flags ?? []).Select(Quote))}]");
        }

        yaml.AppendLine(CultureInfo.InvariantCulture, $"    meshPort: {meshPort}");
        if (port is { } fixedPort)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    port: {fixedPort}");
        }

        yaml.AppendLine(CultureInfo.InvariantCulture, $"    ready: {ready}");
        yaml.AppendLine("    env:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      MESHDEV_TEST_NAME: {Quote(name)}");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      {TaggedProcesses.Variable}: {Quote(Tag)}");
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"      {key}: {Quote(value)}");
        }

        if (hosts is not null || paths is not null)
        {
            yaml.AppendLine("    routes:");
            if (hosts is not null)
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"      hosts: [{string.Join(", ", hosts.Select(Quote))}]");
            }

            if (paths is not null)
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"      paths: [{string.Join(", ", paths.Select(Quote))}]");
            }
        }

        // Stops are quick in tests unless a test asks otherwise.
        if (!extra.Any(e => e.StartsWith("stopGracePeriod:", StringComparison.Ordinal)))
        {
            yaml.AppendLine("    stopGracePeriod: 2s");
        }

        foreach (var setting in extra)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    {setting}");
        }

        _services.Add(yaml.ToString());
        return this;
    }

    /// <summary>Adds a <c>project:</c> service (built and run with <c>dotnet</c> by the mesh) with the test's tag in its environment.</summary>
    /// <param name="port">A fixed <c>port:</c>; <c>auto</c> when null.</param>
    public ManifestBuilder Project(string name, string project, int? port = null)
    {
        var meshPort = NewPort();
        _meshPorts[name] = meshPort;
        var yaml = new StringBuilder();
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  {name}:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"    project: {Quote(project)}");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"    meshPort: {meshPort}");
        if (port is { } fixedPort)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    port: {fixedPort}");
        }

        yaml.AppendLine("    ready: { http: /healthz }");
        yaml.AppendLine("    stopGracePeriod: 2s");
        yaml.AppendLine("    env:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      {TaggedProcesses.Variable}: {Quote(Tag)}");
        _services.Add(yaml.ToString());
        return this;
    }

    /// <summary>Adds a <c>runtime: docker</c> service (host network unless <paramref name="extra"/> says otherwise).</summary>
    /// <param name="args">The container's <c>args</c> (replacing the image's CMD); the image's own when null.</param>
    /// <param name="ready">The <c>ready:</c> value; none (the image's HEALTHCHECK, else TCP) when null.</param>
    /// <param name="env">More environment variables for the container.</param>
    /// <param name="extra">More settings, each <c>key: value</c> (pull, onIdle, idleTimeout, dependsOn…).</param>
    public ManifestBuilder Container(
        string name,
        string image,
        string[]? args = null,
        string? command = null,
        string? ready = null,
        IReadOnlyDictionary<string, string>? env = null,
        params string[] extra)
    {
        var meshPort = NewPort();
        _meshPorts[name] = meshPort;
        var yaml = new StringBuilder();
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  {name}:");
        yaml.AppendLine("    runtime: docker");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"    image: {Quote(image)}");
        if (command is not null)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    command: {Quote(command)}");
        }

        if (args is not null)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    args: [{string.Join(", ", args.Select(Quote))}]");
        }

        yaml.AppendLine(CultureInfo.InvariantCulture, $"    meshPort: {meshPort}");
        if (ready is not null)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    ready: {ready}");
        }

        // The tag makes the container's processes findable on the host (same kernel), so a leaked one fails the test.
        yaml.AppendLine("    env:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      MESHDEV_TEST_NAME: {Quote(name)}");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"      {TaggedProcesses.Variable}: {Quote(Tag)}");
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"      {key}: {Quote(value)}");
        }

        if (!extra.Any(e => e.StartsWith("stopGracePeriod:", StringComparison.Ordinal)))
        {
            yaml.AppendLine("    stopGracePeriod: 2s");
        }

        foreach (var setting in extra)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    {setting}");
        }

        _services.Add(yaml.ToString());
        return this;
    }

    /// <summary>
    /// Adds the services of a manifest another command generated (<c>import compose</c>), as written, and their mesh
    /// ports; the <c>mesh:</c> section stays this builder's, with its free ports.
    /// </summary>
    public ManifestBuilder Generated(string manifest, IReadOnlyDictionary<string, int> meshPorts)
    {
        const string Services = "services:\n";
        _services.Add(manifest[(manifest.IndexOf(Services, StringComparison.Ordinal) + Services.Length)..]);
        foreach (var (name, port) in meshPorts)
        {
            _meshPorts[name] = port;
        }

        return this;
    }

    /// <summary>Adds a setting of the <c>mesh:</c> section, <c>key: value</c> (e.g. <c>prewarm: off</c>).</summary>
    public ManifestBuilder Mesh(string setting)
    {
        _meshSettings.Add($"  {setting}\n");
        return this;
    }

    public string ToYaml() =>
        $"mesh:\n  http: {SharedPort}\n  xds: {XdsPort}\n{string.Concat(_meshSettings)}services:\n{string.Concat(_services)}";

    /// <summary>Writes <c>meshdev.yaml</c> into <paramref name="directory"/> and returns its path.</summary>
    public string WriteTo(string directory)
    {
        var path = Path.Combine(directory, "meshdev.yaml");
        File.WriteAllText(path, ToYaml());
        return path;
    }

    /// <summary>A free loopback port, distinct from every other port of this manifest.</summary>
    public int NewPort()
    {
        while (true)
        {
            var port = TestPorts.Free();
            if (_ports.Add(port))
            {
                return port;
            }
        }
    }

    // A JSON string is a valid YAML double-quoted scalar.
    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
