using static MeshDev.Authoring.Tests.Compose.ComposeTestImport;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary><c>volumes</c> (short and long syntax) → the manifest's <c>SOURCE:TARGET[:ro]</c>.</summary>
public sealed class VolumesImportTests
{
    // The service is written as "services:\n  app:\n    image: app\n    ports: [\"80\"]\n    volumes: [ROW]": the first item starts at 5:15.
    public static TheoryData<string, string?, string[]> Volumes => new()
    {
        { "\"./data:/var/lib/data\"", "./data:/var/lib/data", [] },
        { "./data:/var/lib/data", "./data:/var/lib/data", [] },
        { "\"cache:/cache:ro\"", "cache:/cache:ro", [] },
        { "\"./data:/data:rw\"", "./data:/data", [] },
        { "\"/var/run/docker.sock:/var/run/docker.sock\"", "/var/run/docker.sock:/var/run/docker.sock", [] },
        { "\"../shared:/shared:ro\"", "../shared:/shared:ro", [] },
        { "\".:/app\"", ".:/app", [] },
        { "\"./src/../data/:/data\"", "./data:/data", [] },
        { "\"~/.m2:/root/.m2\"", "~/.m2:/root/.m2", [] },
        { "\"./data:/data:ro,z\"", "./data:/data:ro", ["5:15: services.app.volumes './data:/data:ro,z': option 'z' is not supported (dropped)"] },
        { "\"/data\"", null, ["5:15: services.app.volumes '/data' is an anonymous volume; give it a name or a host path to keep it in the manifest (ignored)"] },
        { "\"./data:data\"", null, ["5:15: services.app.volumes './data:data' needs an absolute path in the container as its target (ignored)"] },
        { "\"my volume:/data\"", null, ["5:15: services.app.volumes 'my volume:/data' has a source 'my volume' that is neither a host path (./…, /…) nor a volume name (ignored)"] },
        { "\"a:/b:ro:x\"", null, ["5:15: services.app.volumes 'a:/b:ro:x' is not SOURCE:TARGET[:MODE] (ignored)"] },
        { "{type: bind, source: ./data, target: /data, read_only: true}", "./data:/data:ro", [] },
        { "{type: volume, source: cache, target: /cache}", "cache:/cache", [] },
        {
            "{type: bind, source: ./data, target: /data, bind: {propagation: rshared}}", "./data:/data",
            ["5:15: services.app.volumes bind ./data:/data: 'bind' is not supported (dropped)"]
        },
        { "{type: volume, target: /cache}", null, ["5:15: services.app.volumes volume /cache is an anonymous volume; give it a name or a host path to keep it in the manifest (ignored)"] },
        { "{type: tmpfs, target: /tmp}", null, ["5:15: services.app.volumes tmpfs /tmp is a tmpfs mount; the manifest has bind mounts and named volumes only (ignored)"] },
        { "{type: npipe, source: x, target: /x}", null, ["5:15: services.app.volumes npipe x:/x is a npipe mount; the manifest has bind mounts and named volumes only (ignored)"] },
        { "[a, b]", null, ["5:15: services.app.volumes must be a list of volumes (ignored)"] },
    };

    [Theory]
    [MemberData(nameof(Volumes))]
    public void Volumes_map_to_host_paths_and_named_volumes(string volumes, string? expected, string[] findings)
    {
        var result = Import($"services:\n  app:\n    image: app\n    ports: [\"80\"]\n    volumes: [{volumes}]\n");

        var service = Service(result, "app");
        if (expected is null)
        {
            Assert.DoesNotContain("volumes", service);
        }
        else
        {
            Assert.Contains($"volumes: [{expected}]\n", service);
        }

        Assert.Equal(findings, Findings(result));
    }

    [Fact]
    public void Relative_host_paths_are_rewritten_for_the_manifest_folder()
    {
        var yaml = "services:\n  app:\n    image: app\n    ports: [\"80\"]\n    volumes: [\"./data:/data\", \"../shared:/shared\", \".:/app\", \"cache:/cache\", \"/abs:/abs\"]\n";
        var manifestDirectory = Path.Combine(Path.GetFullPath("shop"), "deploy");

        var result = MeshDev.Authoring.Compose.ComposeImporter.Import(yaml, ComposePath, manifestDirectory, new MeshDev.Authoring.Compose.ComposeSources(_ => null, _ => null));

        Assert.Contains("volumes: [../data:/data, ../../shared:/shared, ..:/app, cache:/cache, /abs:/abs]\n", Service(result, "app"));
    }

    [Fact]
    public void Many_volumes_are_written_one_per_line()
    {
        var yaml = "services:\n  app:\n    image: app\n    ports: [\"80\"]\n    volumes:\n"
            + string.Concat(Enumerable.Range(1, 5).Select(i => $"      - ./data/volume-number-{i}:/var/lib/app/volume-number-{i}\n"));

        var result = Import(yaml);

        Assert.Contains("volumes:\n" + string.Concat(Enumerable.Range(1, 5).Select(i => $"  - ./data/volume-number-{i}:/var/lib/app/volume-number-{i}\n")), Service(result, "app"));
    }
}
