using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

/// <summary><c>mesh: logs: { maxSize, keep }</c>: read with defaults for what is left out, wrong values located at FILE:LINE:COL.</summary>
public sealed class LogRotationSettingsTests
{
    private const string ManifestPath = "/work/meshdev.yaml";
    private const string Service = "services:\n  orders:\n    command: /bin/true\n";

    [Fact]
    public void Without_logs_each_service_keeps_three_files_of_10_MB()
    {
        var manifest = ManifestLoader.Parse("mesh:\n  http: 15000\n" + Service, ManifestPath);

        Assert.Equal(new LogRotation(10 * 1024 * 1024, 3), manifest.Mesh.Logs);
        Assert.Equal(30L * 1024 * 1024, manifest.Mesh.Logs.Bound);
    }

    [Theory]
    [InlineData("{ maxSize: 10MB, keep: 3 }", 10L << 20, 3)]
    [InlineData("{ maxSize: 512KB }", 512L << 10, 3)]
    [InlineData("{ maxSize: 1.5 GiB, keep: 1 }", 3L << 29, 1)]
    [InlineData("{ maxSize: 2m, keep: 10 }", 2L << 20, 10)]
    [InlineData("{ maxSize: 4096 }", 4096, 3)]
    [InlineData("{ keep: 5 }", 10L << 20, 5)]
    public void Logs_sets_the_size_and_number_of_files(string logs, long maxSize, int keep)
    {
        var manifest = ManifestLoader.Parse($"mesh:\n  logs: {logs}\n" + Service, ManifestPath);

        Assert.Equal(new LogRotation(maxSize, keep), manifest.Mesh.Logs);
    }

    [Theory]
    [InlineData("{ maxSize: 10 parsecs }", "2:20: 'maxSize' in mesh.logs must be a size like 10MB (B, KB, MB or GB; 1 KB = 1024 bytes)")]
    [InlineData("{ maxSize: 100 }", "2:20: 'maxSize' in mesh.logs must be at least 1KB (got 100)")]
    [InlineData("{ maxSize: 5000GB }", "2:20: 'maxSize' in mesh.logs must be a size like 10MB (B, KB, MB or GB; 1 KB = 1024 bytes)")]
    [InlineData("{ keep: 0 }", "2:17: 'keep' in mesh.logs must be a number of files from 1 to 100 (the current one included)")]
    [InlineData("{ keep: three }", "2:17: 'keep' in mesh.logs must be a number of files from 1 to 100 (the current one included)")]
    [InlineData("{ maxSize: [10MB] }", "2:20: 'maxSize' in mesh.logs must be a size like 10MB (B, KB, MB or GB; 1 KB = 1024 bytes)")]
    [InlineData("{ size: 10MB }", "2:11: unknown key 'size' in mesh.logs (expected one of: maxSize, keep)")]
    [InlineData("10MB", "2:9: 'logs' in mesh must be a mapping like { maxSize: 10MB, keep: 3 }")]
    public void A_wrong_logs_setting_is_located_and_says_what_is_expected(string logs, string expected)
    {
        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Parse($"mesh:\n  logs: {logs}\n" + Service, ManifestPath));

        Assert.Equal([$"{ManifestPath}:{expected}"], error.Errors.Select(e => e.ToString()));
    }
}
