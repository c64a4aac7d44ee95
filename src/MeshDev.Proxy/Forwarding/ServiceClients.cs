using System.Net.Http;
using MeshDev.Calls;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// The HTTP clients the mesh forwards with (<see cref="ServiceHttpClient"/>): one for HTTP/1.x, whose connections are
/// one request at a time anyway, and a few for HTTP/2 (gRPC), taken by the caller's connection to the mesh.
/// </summary>
/// <remarks>
/// One HTTP/2 client would carry every caller's calls to a service on one connection, whose frames one loop reads on
/// each side: the service then handles all of them as if one client called. Taken by connection, calls from N callers
/// (up to <see cref="Http2Clients"/>) reach the service over N connections, as they would have without the mesh, and a
/// caller's calls stay on one. With h2load's 4 connections of 8 streams on the 2-core bench machine: 21.4-21.9k calls/s
/// against 17.8-18.8k with one client, and 36-38 µs of mesh CPU per call against 40-43 (devtools/bench, gRPC unary).
/// </remarks>
public sealed class ServiceClients : IDisposable
{
    /// <summary>How many HTTP/2 clients: the machine's cores, at least 4 (idle connections close after a few seconds).</summary>
    internal static readonly int Http2Clients = Math.Max(4, Environment.ProcessorCount);

    private readonly HttpMessageInvoker[] _http2;

    public ServiceClients(TimeProvider time)
    {
        Http1 = ServiceHttpClient.Create(time);
        _http2 = [.. Enumerable.Range(0, Http2Clients).Select(_ => ServiceHttpClient.Create(time))];
    }

    /// <summary>The client for HTTP/1.x requests.</summary>
    public HttpMessageInvoker Http1 { get; }

    /// <summary>The client for an HTTP/2 request that came on <paramref name="connection"/> (the first one without a connection).</summary>
    public HttpMessageInvoker Http2(CallerConnection? connection) =>
        _http2[connection is null ? 0 : (int)((uint)connection.Number % (uint)_http2.Length)];

    public void Dispose()
    {
        Http1.Dispose();
        foreach (var client in _http2)
        {
            client.Dispose();
        }
    }
}
