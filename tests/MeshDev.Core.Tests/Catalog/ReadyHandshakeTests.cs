using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

/// <summary>
/// <c>ready: { socket: true }</c> and <c>{ notify: true }</c>, opted into per local process service: alone, together,
/// and socket activation with a probe after it; how each reads back in messages.
/// </summary>
public sealed class ReadyHandshakeTests
{
    [Theory]
    [InlineData("{ socket: true }", ReadyKind.Tcp, true, false, "socket activation")]
    [InlineData("{ notify: true }", ReadyKind.Tcp, false, true, "READY=1 on NOTIFY_SOCKET")]
    [InlineData("{ socket: true, notify: true }", ReadyKind.Tcp, true, true, "socket activation, READY=1 on NOTIFY_SOCKET")]
    [InlineData("{ socket: true, http: /healthz }", ReadyKind.Http, true, false, "socket activation, then http /healthz")]
    [InlineData("{ socket: true, tcp: true }", ReadyKind.Tcp, true, false, "socket activation")]
    [InlineData("{ socket: false, notify: false, grpc: true }", ReadyKind.Grpc, false, false, "grpc health")]
    public void Socket_and_notify_are_read_beside_the_probe(string ready, ReadyKind kind, bool socket, bool notify, string described)
    {
        var manifest = ManifestLoader.Parse($"services:\n  orders:\n    command: /bin/true\n    ready: {ready}\n", "/tmp/meshdev.yaml");

        var spec = manifest.Find("orders")!.Ready;
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(socket, spec.Socket);
        Assert.Equal(notify, spec.Notify);
        Assert.Equal(described, spec.ToString());
    }

    [Fact]
    public void A_tcp_protocol_service_may_take_its_socket_from_the_mesh()
    {
        var manifest = ManifestLoader.Parse("services:\n  db:\n    command: /bin/true\n    protocol: tcp\n    ready: { socket: true }\n", "/tmp/meshdev.yaml");

        Assert.Equal(ReadyProbeSpec.Tcp with { Socket = true }, manifest.Find("db")!.Ready);
    }
}
