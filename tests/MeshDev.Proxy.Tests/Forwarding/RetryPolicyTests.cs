using System.Net.Http;
using MeshDev.Proxy.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Tests.Forwarding;

/// <summary>A request is sent again only when the service cannot have acted on it.</summary>
public sealed class RetryPolicyTests
{
    private static readonly Exception NothingReceived = new HttpRequestException("send failed", new NothingReceivedException(null));
    private static readonly Exception Refused = new HttpRequestException(HttpRequestError.ConnectionError, "refused");
    private static readonly Exception PartlyAnswered = new HttpRequestException(HttpRequestError.ResponseEnded, "ended", new IOException("premature end"));

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public void An_idempotent_request_without_body_that_reached_nothing_is_retried(string method)
    {
        Assert.True(ServiceForwarder.CanRetry(Context(method, hasBody: false, NothingReceived), ForwarderError.Request));
        Assert.True(ServiceForwarder.CanRetry(Context(method, hasBody: false, Refused), ForwarderError.Request));
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    public void A_non_idempotent_request_is_never_retried(string method) =>
        Assert.False(ServiceForwarder.CanRetry(Context(method, hasBody: false, NothingReceived), ForwarderError.Request));

    [Fact]
    public void A_request_with_a_body_is_never_retried() =>
        Assert.False(ServiceForwarder.CanRetry(Context("PUT", hasBody: true, NothingReceived), ForwarderError.Request));

    [Fact]
    public void A_request_that_got_part_of_a_response_is_not_retried() =>
        Assert.False(ServiceForwarder.CanRetry(Context("GET", hasBody: false, PartlyAnswered), ForwarderError.Request));

    [Fact]
    public void Failures_after_the_response_headers_are_not_retried() =>
        Assert.False(ServiceForwarder.CanRetry(Context("GET", hasBody: false, NothingReceived), ForwarderError.ResponseBodyDestination));

    [Fact]
    public void A_request_whose_client_left_is_not_retried()
    {
        var context = Context("GET", hasBody: false, NothingReceived);
        using var aborted = new CancellationTokenSource();
        aborted.Cancel();
        context.RequestAborted = aborted.Token;

        Assert.False(ServiceForwarder.CanRetry(context, ForwarderError.Request));
    }

    private static DefaultHttpContext Context(string method, bool hasBody, Exception error)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Features.Set<IHttpRequestBodyDetectionFeature>(new BodyDetection(hasBody));
        context.Features.Set<IForwarderErrorFeature>(new ErrorFeature(error));
        return context;
    }

    private sealed class BodyDetection(bool canHaveBody) : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody { get; } = canHaveBody;
    }

    private sealed class ErrorFeature(Exception exception) : IForwarderErrorFeature
    {
        public ForwarderError Error => ForwarderError.Request;

        public Exception? Exception { get; } = exception;
    }
}
