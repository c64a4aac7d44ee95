using System.Buffers;
using System.Text;
using MeshDev.Proxy.Listeners;

namespace MeshDev.Proxy.Tests.Listeners;

public sealed class H2cPriorKnowledgeTests
{
    [Theory]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", true)]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\x12\x04", true)] // preface followed by a SETTINGS frame
    [InlineData("GET / HTTP/1.1\r\n", false)]
    [InlineData("POST /x HTTP/1.1\r\n", false)]
    [InlineData("PUT / HTTP/1.1\r\n", false)]
    [InlineData("PATCH / HTTP/1.1\r\n", false)]
    [InlineData("PRI * HTTP/1.1\r\n", false)]
    [InlineData("P", null)]                       // could still be either: wait for more
    [InlineData("PRI * HTTP/2.0\r\n", null)]
    [InlineData("", null)]
    public void Classifies_the_first_bytes(string head, bool? expected) =>
        Assert.Equal(expected, H2cPriorKnowledge.Classify(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(head))));

    [Fact]
    public void Classifies_a_preface_split_across_segments()
    {
        var first = new Segment(Encoding.ASCII.GetBytes("PRI * HTTP/2"));
        var last = first.Append(Encoding.ASCII.GetBytes(".0\r\n\r\nSM\r\n\r\n"));
        Assert.True(H2cPriorKnowledge.Classify(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length)));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes) => Memory = bytes;

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
