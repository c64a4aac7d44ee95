using System.Threading.Channels;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// What one run of a real container process prints (stdout and stderr, line by line), bounded to its last
/// <see cref="MaxLines"/> lines; followers get each new line until the run ends.
/// </summary>
internal sealed class ContainerOutput
{
    public const int MaxLines = 10_000;

    private readonly Queue<string> _lines = new();
    private readonly List<Channel<string>> _followers = [];
    private bool _ended;

    public void Write(string line)
    {
        lock (_lines)
        {
            if (_lines.Count == MaxLines)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
            _followers.ForEach(f => f.Writer.TryWrite(line));
        }
    }

    /// <summary>The run is over: followers' streams end.</summary>
    public void End()
    {
        lock (_lines)
        {
            _ended = true;
            _followers.ForEach(f => f.Writer.TryComplete());
            _followers.Clear();
        }
    }

    public IReadOnlyList<string> Lines()
    {
        lock (_lines)
        {
            return [.. _lines];
        }
    }

    /// <summary>The lines so far and, in order after them, every later line until the run ends (at once when it has).</summary>
    public (IReadOnlyList<string> Lines, ChannelReader<string> Later) Follow()
    {
        var later = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lines)
        {
            if (_ended)
            {
                later.Writer.TryComplete();
            }
            else
            {
                _followers.Add(later);
            }

            return ([.. _lines], later.Reader);
        }
    }
}
