using MeshDev.Authoring.Compose;

namespace MeshDev.Authoring.Tests.Compose;

public sealed class ComposeDurationTests
{
    [Theory]
    [InlineData("30s", "30s")]
    [InlineData("1h30m", "90m")]
    [InlineData("1h60m", "2h")]
    [InlineData("1m0.5s", "60500ms")]
    [InlineData(".5s", "500ms")]
    [InlineData("1500000us", "1500ms")]
    [InlineData("2000000000ns", "2s")]
    [InlineData("1µs", "0s")]
    public void Converts_Go_durations(string compose, string manifest)
    {
        Assert.Equal(manifest, ComposeDuration.ToManifest(compose));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("-1s")]
    [InlineData("1d")]
    [InlineData("1 s")]
    [InlineData("99999999999h")]
    [InlineData("99999999999999999999999999h")]
    public void Rejects_what_is_not_a_duration(string compose)
    {
        Assert.Null(ComposeDuration.ToManifest(compose));
    }
}
