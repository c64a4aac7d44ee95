using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace MeshDev.Xds.Resources;

/// <summary>
/// One named xDS resource, packed once: every client subscribed to it gets the same bytes. Never mutated after
/// construction (protobuf messages are mutable; nothing here writes to them).
/// </summary>
public sealed class XdsResource
{
    public XdsResource(string name, IMessage message)
    {
        Name = name;
        Message = message;
        Packed = Any.Pack(message);
    }

    public string Name { get; }

    public IMessage Message { get; }

    /// <summary>The resource as it goes on the wire (DiscoveryResponse.resources).</summary>
    public Any Packed { get; }

    /// <summary>True when both encode to the same bytes (a rebuilt resource that did not change).</summary>
    public bool SameContent(XdsResource other) => ReferenceEquals(this, other) || Packed.Equals(other.Packed);
}
