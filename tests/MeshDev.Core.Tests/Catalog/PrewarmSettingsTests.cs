using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

/// <summary><c>calls:</c> (the services a service calls, declared), <c>prewarm:</c> per service, and <c>mesh.prewarm</c>.</summary>
public sealed class PrewarmSettingsTests
{
    private const string ManifestPath = "/work/meshdev.yaml";

    private static MeshManifest Parse(string yaml) => ManifestLoader.Parse(yaml, ManifestPath);

    private static IEnumerable<string> Errors(string yaml) =>
        Assert.Throws<ManifestException>(() => Parse(yaml)).Errors.Select(e => e.ToString());

    [Fact]
    public void By_default_observed_and_declared_callees_are_prewarmed_and_every_service_takes_part()
    {
        var manifest = Parse("services:\n  front: { command: /bin/true, calls: [back, back] }\n  back: { command: /bin/true }\n");

        Assert.Equal(PrewarmMode.Observed, manifest.Mesh.Prewarm);
        Assert.Equal(["back"], manifest.Find("front")!.Calls.AsEnumerable());
        Assert.Empty(manifest.Find("back")!.Calls);
        Assert.True(manifest.Find("back")!.Prewarm);
    }

    [Theory]
    [InlineData("observed", PrewarmMode.Observed)]
    [InlineData("declared", PrewarmMode.Declared)]
    [InlineData("off", PrewarmMode.Off)]
    public void Mesh_prewarm_is_read(string value, PrewarmMode expected) =>
        Assert.Equal(expected, Parse($"mesh: {{ prewarm: {value} }}\nservices:\n  front: {{ command: /bin/true }}\n").Mesh.Prewarm);

    [Fact]
    public void A_service_opts_out_of_being_prewarmed()
    {
        var manifest = Parse("services:\n  front: { command: /bin/true, calls: [db] }\n  db: { command: /bin/true, prewarm: false }\n");

        Assert.False(manifest.Find("db")!.Prewarm);
    }

    [Theory]
    [InlineData("mesh: { prewarm: always }\nservices:\n  front: { command: /bin/true }\n", "1:18: 'prewarm' in mesh must be observed, declared or off, not 'always'")]
    [InlineData("services:\n  front: { command: /bin/true, calls: [bak] }\n  back: { command: /bin/true }\n", "2:40: service 'front' calls 'bak', which is not a service of this manifest (did you mean 'back'? known: back, front)")]
    [InlineData("services:\n  front: { command: /bin/true, calls: [front] }\n", "2:40: service 'front' lists itself in calls; list the services it calls")]
    [InlineData("services:\n  front: { command: /bin/true, prewarm: maybe }\n", "2:41: 'prewarm' of service 'front' must be true or false")]
    public void A_wrong_prewarm_setting_is_located_and_says_what_is_expected(string yaml, string expected) =>
        Assert.Equal([$"{ManifestPath}:{expected}"], Errors(yaml));
}
