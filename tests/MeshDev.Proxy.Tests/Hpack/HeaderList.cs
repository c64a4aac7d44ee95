using System.Text;
using MeshDev.Link.Hpack;

namespace MeshDev.Proxy.Tests.Hpack;

/// <summary>A sink that keeps every field as text, and helpers to feed a decoder hex and read its table back.</summary>
internal sealed class HeaderList : IHeaderSink
{
    public List<(string Name, string Value)> Fields { get; } = [];

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        Fields.Add((Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));

    public static List<(string Name, string Value)> Decode(HpackDecoder decoder, string hex)
    {
        var sink = new HeaderList();
        decoder.Decode(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)), sink);
        return sink.Fields;
    }

    /// <summary>The dynamic table, newest first, as RFC 7541 Appendix C prints it.</summary>
    public static List<(string Name, string Value)> Table(HpackDecoder decoder)
    {
        var entries = new List<(string, string)>();
        for (var i = 0; i < decoder.Table.Count; i++)
        {
            decoder.Table.Get(i, out var name, out var value);
            entries.Add((Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
        }

        return entries;
    }
}
