using System.Text;

namespace MeshDev.Runtime.Tests;

/// <summary>What counts as an answer in HTTP from a program holding a service's port.</summary>
public sealed class ProtocolAnswerTests
{
    [Theory]
    [InlineData("HTTP/1.0 200 OK")]
    [InlineData("HTTP/1.1 503 Service Unavailable")]
    [InlineData("HTTP/")]
    public void An_HTTP1_status_line_of_any_status_is_an_answer(string start) =>
        Assert.True(ProtocolAnswer.IsHttpAnswer(Encoding.ASCII.GetBytes(start)));

    [Fact]
    public void An_HTTP2_SETTINGS_or_GOAWAY_frame_on_stream_0_is_an_answer()
    {
        Assert.True(ProtocolAnswer.IsHttpAnswer([0, 0, 0, 0x04, 0, 0, 0, 0, 0]));
        Assert.True(ProtocolAnswer.IsHttpAnswer([0, 0, 8, 0x07, 0, 0, 0, 0, 0]));
    }

    [Theory]
    [InlineData("hello\n")]
    [InlineData("SSH-2.0-OpenSSH_9.6")]
    [InlineData("HTTP")]
    [InlineData("")]
    public void Other_bytes_or_too_few_are_not(string start) =>
        Assert.False(ProtocolAnswer.IsHttpAnswer(Encoding.ASCII.GetBytes(start)));

    [Fact]
    public void A_frame_of_another_type_or_on_a_stream_is_not()
    {
        Assert.False(ProtocolAnswer.IsHttpAnswer([0, 0, 0, 0x01, 0, 0, 0, 0, 0]));
        Assert.False(ProtocolAnswer.IsHttpAnswer([0, 0, 0, 0x04, 0, 0, 0, 0, 1]));
    }
}
