using MeshDev.Link;
using MeshDev.Proxy.Errors;

namespace MeshDev.Proxy.Tests.Errors;

public sealed class GrpcResponsesTests
{
    [Theory]
    [InlineData("100m", 100 * TimeSpan.TicksPerMillisecond)]
    [InlineData("5S", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("2M", 2 * TimeSpan.TicksPerMinute)]
    [InlineData("1H", TimeSpan.TicksPerHour)]
    [InlineData("250u", 2500)]
    [InlineData("99999999n", 999999)]
    public void Parses_grpc_timeout(string header, long ticks) =>
        Assert.Equal(TimeSpan.FromTicks(ticks), GrpcResponses.ParseTimeout(header));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("S")]
    [InlineData("5s")]       // units are case-sensitive: s is not a unit
    [InlineData("-5S")]
    [InlineData("123456789S")] // at most 8 digits
    public void Rejects_malformed_grpc_timeout(string? header) => Assert.Null(GrpcResponses.ParseTimeout(header));

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100% sure", "100%25 sure")]
    [InlineData("line1\nline2", "line1%0Aline2")]
    [InlineData("caf\u00e9", "caf%C3%A9")]
    public void Percent_encodes_grpc_message(string message, string encoded) =>
        Assert.Equal(encoded, HttpWire.PercentEncodeGrpcMessage(message));
}
