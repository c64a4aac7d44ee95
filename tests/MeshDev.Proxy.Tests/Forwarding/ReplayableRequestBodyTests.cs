using System.Text;
using MeshDev.Proxy.Forwarding;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Proxy.Tests.Forwarding;

/// <summary>The body kept for the one resend of a request an h2c-only service refused over HTTP/1.1.</summary>
public sealed class ReplayableRequestBodyTests
{
    [Fact]
    public async Task After_a_rewind_the_kept_bytes_come_first_then_the_rest_of_the_callers_body()
    {
        var context = new DefaultHttpContext();
        var caller = new MemoryStream(Encoding.ASCII.GetBytes("0123456789abcdefghij"));
        context.Request.Body = caller;
        var body = ReplayableRequestBody.Wrap(context.Request);

        // The refused attempt read part of the body.
        var first = new byte[8];
        Assert.Equal(8, await context.Request.Body.ReadAsync(first));

        Assert.True(body.Rewind());
        Assert.Equal("0123456789abcdefghij", await ReadAllAsync(context.Request.Body));

        // Once only: the resend is the last attempt.
        Assert.False(body.Rewind());
        body.Restore(context.Request);
        Assert.Same(caller, context.Request.Body);
    }

    [Fact]
    public async Task A_body_read_past_the_limit_cannot_be_rewound_but_still_reads_through()
    {
        var context = new DefaultHttpContext();
        var bytes = new byte[ReplayableRequestBody.Limit + 1];
        Random.Shared.NextBytes(bytes);
        context.Request.Body = new MemoryStream(bytes);
        var body = ReplayableRequestBody.Wrap(context.Request);

        var read = new MemoryStream();
        await context.Request.Body.CopyToAsync(read);

        Assert.Equal(bytes, read.ToArray());
        Assert.False(body.Rewind());
    }

    private static async Task<string> ReadAllAsync(Stream stream)
    {
        var all = new MemoryStream();
        var buffer = new byte[3];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(all.ToArray());
    }
}
