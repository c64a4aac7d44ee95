using System.Text;
using MeshDev.Gateway;

namespace MeshDev.Kubernetes.Tests.Gateway;

/// <summary>
/// What the gateway reads from a direct connection between pods: requests counted, and in flight from the request
/// until its response is complete — by HTTP/1.x framing or HTTP/2 streams — so an idle pooled connection holds nothing.
/// </summary>
public sealed class HttpExchangesTests
{
    private static void Client(HttpExchanges exchanges, string text) => exchanges.FromClient(Encoding.ASCII.GetBytes(text));

    private static void Server(HttpExchanges exchanges, string text) => exchanges.FromServer(Encoding.ASCII.GetBytes(text));

    [Fact]
    public void A_keep_alive_connection_is_in_flight_only_between_each_request_and_the_end_of_its_response()
    {
        var exchanges = new HttpExchanges();
        Client(exchanges, "POST /orders HTTP/1.1\r\nHost: stock\r\nContent-Length: 5\r\n\r\nhel");
        Assert.Equal(1, exchanges.InFlight);
        Client(exchanges, "lo");
        Server(exchanges, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok");
        Assert.Equal(1, exchanges.InFlight);
        Server(exchanges, "!!");
        Assert.Equal(0, exchanges.InFlight);

        Client(exchanges, "GET /a HTTP/1.1\r\nHost: stock\r\n\r\n");
        Server(exchanges, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
        Assert.Equal(1, exchanges.InFlight);
        Server(exchanges, "0\r\n\r\n");
        Assert.Equal(0, exchanges.InFlight);
        Assert.Equal(2, exchanges.Requests);
    }

    [Fact]
    public void Heads_and_chunk_sizes_cut_at_every_byte_are_followed_as_if_read_whole()
    {
        var exchanges = new HttpExchanges();
        foreach (var b in Encoding.ASCII.GetBytes("POST /a HTTP/1.1\r\ncontent-length: 3\r\n\r\nabcHEAD /b HTTP/1.1\r\n\r\n"))
        {
            exchanges.FromClient([b]);
        }

        Assert.Equal(2, exchanges.Requests);
        Assert.Equal(2, exchanges.InFlight);
        foreach (var b in Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip, Chunked\r\n\r\na;name=v\r\n0123456789\r\n0\r\n\r\n"))
        {
            exchanges.FromServer([b]);
        }

        Assert.Equal(1, exchanges.InFlight);
        foreach (var b in Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"))
        {
            exchanges.FromServer([b]);
        }

        Assert.Equal(0, exchanges.InFlight);
    }

    [Fact]
    public void Following_a_keep_alive_connection_allocates_nothing_per_request()
    {
        // The gateway runs this on every byte of every direct call: a string per header line showed in its profile.
        var exchanges = new HttpExchanges();
        var request = Encoding.ASCII.GetBytes("GET /stock/42 HTTP/1.1\r\nHost: stock\r\nAccept: */*\r\nUser-Agent: test\r\n\r\n");
        var response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n42\n");
        void Exchange()
        {
            exchanges.FromClient(request);
            exchanges.FromServer(response);
        }

        for (var i = 0; i < 10; i++)
        {
            Exchange();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Exchange();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1010, exchanges.Requests);
        Assert.Equal(0, exchanges.InFlight);
    }

    [Fact]
    public void Responses_without_a_body_and_interim_responses_are_framed_as_HTTP_says()
    {
        var exchanges = new HttpExchanges();
        Client(exchanges, "HEAD /x HTTP/1.1\r\nHost: s\r\n\r\nDELETE /y HTTP/1.1\r\nHost: s\r\n\r\n");
        Assert.Equal(2, exchanges.InFlight);
        Server(exchanges, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        Assert.Equal(1, exchanges.InFlight);
        Server(exchanges, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
        Assert.Equal(0, exchanges.InFlight);
    }

    [Fact]
    public void A_response_framed_by_the_close_ends_when_the_server_closes()
    {
        var exchanges = new HttpExchanges();
        Client(exchanges, "GET / HTTP/1.0\r\n\r\n");
        Server(exchanges, "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>");
        Assert.Equal(1, exchanges.InFlight);
        exchanges.ServerClosed();
        Assert.Equal(0, exchanges.InFlight);
    }

    [Fact]
    public void An_upgraded_connection_stays_in_flight_until_it_closes()
    {
        var exchanges = new HttpExchanges();
        Client(exchanges, "GET /ws HTTP/1.1\r\nHost: s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        Server(exchanges, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
        exchanges.FromClient([0x81, 0x02, 0x68, 0x69]);
        Assert.Equal(1, exchanges.InFlight);
        Assert.Equal(1, exchanges.Requests);
    }

    [Fact]
    public void Http2_streams_are_requests_in_flight_until_the_server_ends_or_either_side_resets_them()
    {
        var exchanges = new HttpExchanges();
        exchanges.FromClient([.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, .. Frame(4, 0, 0, 6), .. Frame(1, 4, 1, 10), .. Frame(1, 4, 3, 10)]);
        Assert.Equal(2, exchanges.Requests);
        Assert.Equal(2, exchanges.InFlight);

        exchanges.FromServer([.. Frame(4, 0, 0, 0), .. Frame(1, 4, 1, 5), .. Frame(0, 1, 1, 20)]);
        Assert.Equal(1, exchanges.InFlight);
        exchanges.FromClient(Frame(3, 0, 3, 4));
        Assert.Equal(0, exchanges.InFlight);
    }

    /// <summary>An HTTP/2 frame of <paramref name="length"/> zero bytes of payload.</summary>
    private static byte[] Frame(byte type, byte flags, uint stream, int length) =>
        [(byte)(length >> 16), (byte)(length >> 8), (byte)length, type, flags, (byte)(stream >> 24), (byte)(stream >> 16), (byte)(stream >> 8), (byte)stream, .. new byte[length]];
}
