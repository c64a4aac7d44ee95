using Google.Protobuf.Reflection;
using MeshDev.Xds.Resources;
using MeshDev.Xds.Tests.Infrastructure;

namespace MeshDev.Xds.Tests.Proto;

/// <summary>
/// proto/ is our own subset of the Envoy v3 API; Envoy and gRPC clients decode it with theirs. Both are compiled with
/// protoc and compared descriptor by descriptor: every message, field and enum value we declare must exist upstream
/// with the same name, number, type and label, in the same file and package.
/// </summary>
public sealed class WireCompatibilityTests
{
    [Fact]
    public async Task Every_message_field_and_enum_value_we_declare_exists_upstream_with_the_same_name_number_type_and_label()
    {
        var files = Protoc.OurFiles;
        var ours = await Protoc.DescriptorsAsync(Protoc.OurIncludes, files);
        var upstream = await Protoc.DescriptorsAsync(Protoc.UpstreamIncludes, files);
        var upstreamMessages = Index(upstream).Messages;
        var upstreamEnums = Index(upstream).Enums;

        var problems = new List<string>();
        var compared = 0;
        foreach (var (name, (message, file)) in Index(ours, files).Messages)
        {
            if (!upstreamMessages.TryGetValue(name, out var theirs))
            {
                problems.Add($"message {name} ({file}) does not exist upstream");
                continue;
            }

            if (theirs.File != file)
            {
                problems.Add($"message {name} is in {file}, upstream in {theirs.File}");
            }

            foreach (var field in message.Field)
            {
                compared++;
                var other = theirs.Message.Field.FirstOrDefault(f => f.Number == field.Number);
                var mine = Describe(field);
                if (other is null)
                {
                    problems.Add($"{name}: field {mine} has no upstream field with number {field.Number}");
                }
                else if (Describe(other) != mine)
                {
                    problems.Add($"{name}: field {mine} is {Describe(other)} upstream");
                }
            }
        }

        foreach (var (name, (values, file)) in Index(ours, files).Enums)
        {
            if (!upstreamEnums.TryGetValue(name, out var theirs))
            {
                problems.Add($"enum {name} ({file}) does not exist upstream");
                continue;
            }

            foreach (var value in values.Value)
            {
                compared++;
                if (!theirs.Enum.Value.Any(v => v.Name == value.Name && v.Number == value.Number))
                {
                    problems.Add($"{name}: value {value.Name} = {value.Number} does not exist upstream");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        // Guard against comparing nothing (e.g. files not found): the subset has dozens of fields.
        Assert.True(compared > 80, $"only {compared} fields and enum values were compared");
    }

    [Fact]
    public async Task Every_type_we_serve_is_an_upstream_message()
    {
        var upstream = Index(await Protoc.DescriptorsAsync(Protoc.UpstreamIncludes, Protoc.OurFiles)).Messages;

        foreach (var typeUrl in XdsTypes.PushOrder)
        {
            Assert.True(upstream.ContainsKey(typeUrl["type.googleapis.com/".Length..]), $"{typeUrl} names no upstream message");
        }
    }

    [Fact]
    public async Task Our_descriptors_are_the_ones_compiled_into_the_server()
    {
        var ours = Index(await Protoc.DescriptorsAsync(Protoc.OurIncludes, Protoc.OurFiles), Protoc.OurFiles).Messages;
        var compiled = new[]
        {
            Envoy.Service.Discovery.V3.DiscoveryRequest.Descriptor,
            Envoy.Config.Listener.V3.Listener.Descriptor,
            Envoy.Config.Route.V3.RouteConfiguration.Descriptor,
            Envoy.Config.Cluster.V3.Cluster.Descriptor,
            Envoy.Config.Endpoint.V3.ClusterLoadAssignment.Descriptor,
        };

        foreach (var descriptor in compiled)
        {
            Assert.Equal(
                ours[descriptor.FullName].Message.Field.Select(f => (f.Name, f.Number)),
                descriptor.Fields.InDeclarationOrder().Select(f => (f.Name, f.FieldNumber)));
        }
    }

    private static string Describe(FieldDescriptorProto field) =>
        $"{field.Name} = {field.Number} ({field.Label.ToString().ToLowerInvariant()} {field.Type.ToString().ToLowerInvariant()}{(field.HasTypeName ? " " + field.TypeName : "")})";

    private sealed record Indexed(
        Dictionary<string, (DescriptorProto Message, string File)> Messages,
        Dictionary<string, (EnumDescriptorProto Enum, string File)> Enums);

    /// <summary>Every message and enum by full name (nested ones too), only of <paramref name="files"/> when given.</summary>
    private static Indexed Index(FileDescriptorSet set, IReadOnlyList<string>? files = null)
    {
        var indexed = new Indexed([], []);
        foreach (var file in set.File.Where(f => files is null || files.Contains(f.Name)))
        {
            foreach (var message in file.MessageType)
            {
                Add(indexed, file.Package, message, file.Name);
            }

            foreach (var @enum in file.EnumType)
            {
                indexed.Enums[$"{file.Package}.{@enum.Name}"] = (@enum, file.Name);
            }
        }

        return indexed;
    }

    private static void Add(Indexed indexed, string scope, DescriptorProto message, string file)
    {
        var name = $"{scope}.{message.Name}";
        indexed.Messages[name] = (message, file);
        foreach (var nested in message.NestedType)
        {
            Add(indexed, name, nested, file);
        }

        foreach (var @enum in message.EnumType)
        {
            indexed.Enums[$"{name}.{@enum.Name}"] = (@enum, file);
        }
    }
}
