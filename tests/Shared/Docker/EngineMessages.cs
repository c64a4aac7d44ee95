using Docker.DotNet.Models;

namespace MeshDev.Testing.Docker;

/// <summary>
/// Collects the engine's JSON progress stream (pull, import, build) as it arrives. Unlike <see cref="Progress{T}"/> it
/// records on the reporting thread, so everything is there once the call returns.
/// </summary>
public sealed class EngineMessages : IProgress<JSONMessage>
{
    private readonly List<JSONMessage> _messages = [];

    /// <summary>The messages so far, in order.</summary>
    public IReadOnlyList<JSONMessage> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>The last error the stream carried (the engine reports failed steps inside a 200 response), or null.</summary>
    public string? Error
    {
        get
        {
            lock (_messages)
            {
                return _messages.Select(message => message.Error?.Message is { Length: > 0 } error ? error : message.ErrorMessage)
                    .LastOrDefault(error => !string.IsNullOrEmpty(error));
            }
        }
    }

    /// <summary>The stream as text, one line per message (<c>id: status progress</c>, build output, errors).</summary>
    public string Text => string.Join(Environment.NewLine, Messages.Select(Describe).Where(line => line.Length > 0));

    /// <inheritdoc />
    public void Report(JSONMessage value)
    {
        lock (_messages)
        {
            _messages.Add(value);
        }
    }

    private static string Describe(JSONMessage message)
    {
        var text = message.Stream?.TrimEnd()
            ?? message.Error?.Message
            ?? message.ErrorMessage
            ?? string.Join(' ', new[] { message.Status, message.ProgressMessage }.Where(part => !string.IsNullOrEmpty(part)));
        return string.IsNullOrEmpty(message.ID) ? text ?? "" : $"{message.ID}: {text}";
    }
}
