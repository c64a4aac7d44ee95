using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Link;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// Serves HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c, what gRPC clients speak) on the same port.
/// </summary>
/// <remarks>
/// Kestrel picks HTTP/1.1 for every cleartext connection of an <c>Http1AndHttp2</c> endpoint, because without TLS
/// there is no ALPN to tell them apart. This connection middleware looks at the first bytes: a connection that
/// opens with the HTTP/2 preface gets the features Kestrel reads as "ALPN negotiated h2", so it is served as HTTP/2.
/// The bytes stay in the pipe; the cost is one look at data Kestrel reads anyway. Requires
/// <see cref="KestrelServerOptions.AllowAlternateSchemes"/>, so that the <c>http</c> scheme of those requests is
/// accepted although the connection "has TLS".
/// </remarks>
public static class H2cPriorKnowledge
{

    /// <summary>Enables HTTP/1.1 + h2c on this endpoint.</summary>
    public static ListenOptions UseH2cPriorKnowledge(this ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.Use(next => async connection =>
        {
            if (await StartsWithPrefaceAsync(connection).ConfigureAwait(false))
            {
                connection.Features.Set<ITlsConnectionFeature>(NoCertificate.Instance);
                connection.Features.Set<ITlsApplicationProtocolFeature>(H2Protocol.Instance);
            }

            await next(connection).ConfigureAwait(false);
        });
        return listen;
    }

    private static async ValueTask<bool> StartsWithPrefaceAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            var buffer = result.Buffer;
            var decision = Classify(buffer);
            if (decision is not null || result.IsCompleted || result.IsCanceled)
            {
                // Consume nothing: Kestrel reads the same bytes next.
                input.AdvanceTo(buffer.Start);
                return decision ?? false;
            }

            // A prefix of the preface so far (e.g. "PRI * HT"): wait for more.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>True: the HTTP/2 preface; false: anything else; null: too short to tell yet.</summary>
    internal static bool? Classify(ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[24];
        var length = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, length).CopyTo(head);
        if (!HttpWire.Http2Preface[..length].SequenceEqual(head[..length]))
        {
            return false;
        }

        return length == HttpWire.Http2Preface.Length ? true : null;
    }

    private sealed class NoCertificate : ITlsConnectionFeature
    {
        public static readonly NoCertificate Instance = new();

        public X509Certificate2? ClientCertificate { get => null; set { } }

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }

    private sealed class H2Protocol : ITlsApplicationProtocolFeature
    {
        public static readonly H2Protocol Instance = new();

        public ReadOnlyMemory<byte> ApplicationProtocol { get; } = "h2"u8.ToArray();
    }
}
