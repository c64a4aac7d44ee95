using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf.Reflection;
using YamlDotNet.RepresentationModel;
using Type = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type;

namespace MeshDev.Xds.Tests.Infrastructure;

/// <summary>
/// Turns an Envoy YAML config into protobuf text format, guided by a descriptor set, as Envoy reads YAML: field names
/// as in the .proto, <c>"@type"</c> inside an Any, durations as <c>"1s"</c>, wrappers as plain values, maps as mappings.
/// A name that is not a field of its message fails here, with its path; protoc then checks types and enum values.
/// </summary>
internal sealed class YamlToTextFormat
{
    private readonly Dictionary<string, DescriptorProto> _messages = [];
    private readonly Dictionary<string, EnumDescriptorProto> _enums = [];

    public YamlToTextFormat(FileDescriptorSet descriptors)
    {
        foreach (var file in descriptors.File)
        {
            foreach (var message in file.MessageType)
            {
                Add("." + file.Package, message);
            }

            foreach (var @enum in file.EnumType)
            {
                _enums[$".{file.Package}.{@enum.Name}"] = @enum;
            }
        }
    }

    /// <param name="messageType">The full name of the root message, e.g. <c>envoy.config.bootstrap.v3.Bootstrap</c>.</param>
    public string Convert(string yaml, string messageType)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var text = new StringBuilder();
        Message(text, (YamlMappingNode)stream.Documents.Single().RootNode, "." + messageType, "");
        return text.ToString();
    }

    private void Add(string scope, DescriptorProto message)
    {
        var name = $"{scope}.{message.Name}";
        _messages[name] = message;
        foreach (var nested in message.NestedType)
        {
            Add(name, nested);
        }

        foreach (var @enum in message.EnumType)
        {
            _enums[$"{name}.{@enum.Name}"] = @enum;
        }
    }

    private void Message(StringBuilder text, YamlMappingNode node, string typeName, string path)
    {
        if (typeName == ".google.protobuf.Any")
        {
            var url = Scalar(node.Children.Single(c => Scalar(c.Key, path) == "@type").Value, path + ".@type");
            var packed = new YamlMappingNode(node.Children.Where(c => Scalar(c.Key, path) != "@type"));
            text.Append(CultureInfo.InvariantCulture, $"[{url}] {{\n");
            Message(text, packed, "." + url[(url.LastIndexOf('/') + 1)..], $"{path}({url})");
            text.Append("}\n");
            return;
        }

        Assert.True(_messages.TryGetValue(typeName, out var message), $"{path}: message type {typeName} is not in the descriptor set");
        foreach (var (keyNode, value) in node.Children)
        {
            var key = Scalar(keyNode, path);
            var fieldPath = $"{path}.{key}";
            var field = message!.Field.FirstOrDefault(f => f.Name == key || f.JsonName == key);
            Assert.True(field is not null, $"{fieldPath}: {typeName[1..]} has no field '{key}'");
            if (field!.Type == Type.Message && _messages[field.TypeName].Options?.MapEntry == true)
            {
                var entry = _messages[field.TypeName];
                foreach (var (mapKey, mapValue) in ((YamlMappingNode)value).Children)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{field.Name} {{\n");
                    Field(text, entry.Field.Single(f => f.Name == "key"), mapKey, fieldPath);
                    Field(text, entry.Field.Single(f => f.Name == "value"), mapValue, $"{fieldPath}[{Scalar(mapKey, fieldPath)}]");
                    text.Append("}\n");
                }
            }
            else if (field.Label == FieldDescriptorProto.Types.Label.Repeated)
            {
                Assert.True(value is YamlSequenceNode, $"{fieldPath}: a repeated field needs a list");
                var index = 0;
                foreach (var item in (YamlSequenceNode)value)
                {
                    Field(text, field, item, $"{fieldPath}[{index++}]");
                }
            }
            else
            {
                Field(text, field, value, fieldPath);
            }
        }
    }

    private void Field(StringBuilder text, FieldDescriptorProto field, YamlNode value, string path)
    {
        if (field.Type is Type.Message or Type.Group)
        {
            text.Append(CultureInfo.InvariantCulture, $"{field.Name} {{\n");
            if (value is YamlMappingNode mapping)
            {
                Message(text, mapping, field.TypeName, path);
            }
            else
            {
                text.Append(WellKnownScalar(field.TypeName, Scalar(value, path), path)).Append('\n');
            }

            text.Append("}\n");
            return;
        }

        var scalar = Scalar(value, path);
        var literal = field.Type switch
        {
            Type.String or Type.Bytes => JsonSerializer.Serialize(scalar),
            Type.Bool => scalar is "true" or "false" ? scalar : throw new InvalidDataException($"{path}: '{scalar}' is not a bool"),
            Type.Enum => _enums[field.TypeName].Value.Any(v => v.Name == scalar) ? scalar : throw new InvalidDataException($"{path}: '{scalar}' is not a value of {field.TypeName[1..]}"),
            _ => decimal.TryParse(scalar, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? scalar : throw new InvalidDataException($"{path}: '{scalar}' is not a number"),
        };
        text.Append(CultureInfo.InvariantCulture, $"{field.Name}: {literal}\n");
    }

    /// <summary>The YAML/JSON spelling of a Duration (<c>"1.5s"</c>) or a wrapper (the plain value).</summary>
    private static string WellKnownScalar(string typeName, string scalar, string path)
    {
        if (typeName == ".google.protobuf.Duration")
        {
            if (!scalar.EndsWith('s') || !decimal.TryParse(scalar[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                throw new InvalidDataException($"{path}: '{scalar}' is not a duration like 1s or 0.25s");
            }

            var whole = decimal.Truncate(seconds);
            return $"seconds: {whole.ToString(CultureInfo.InvariantCulture)} nanos: {((seconds - whole) * 1_000_000_000m).ToString("0", CultureInfo.InvariantCulture)}";
        }

        if (typeName.StartsWith(".google.protobuf.", StringComparison.Ordinal) && typeName.EndsWith("Value", StringComparison.Ordinal))
        {
            return typeName == ".google.protobuf.StringValue" ? $"value: {JsonSerializer.Serialize(scalar)}" : $"value: {scalar}";
        }

        throw new InvalidDataException($"{path}: {typeName[1..]} needs a mapping, not '{scalar}'");
    }

    private static string Scalar(YamlNode node, string path) =>
        node is YamlScalarNode { Value: { } value } ? value : throw new InvalidDataException($"{path}: expected a plain value");
}
