using System.Threading.Channels;

namespace MeshDev.Activation;

/// <summary>
/// Delivers one service's state changes to its observers one at a time, in the order they were queued, on a
/// background task: the activator queues them under its lock, and observers never run while it is held.
/// </summary>
internal sealed class StateChangeQueue
{
    private readonly Channel<ServiceStateChange> _changes = Channel.CreateUnbounded<ServiceStateChange>(new UnboundedChannelOptions { SingleReader = true });

    public StateChangeQueue(Action<ServiceStateChange> deliver) => Delivered = Task.Run(() => DeliverAsync(deliver));

    /// <summary>Completes once <see cref="Complete"/> was called and every change queued before it was delivered.</summary>
    public Task Delivered { get; }

    public void Enqueue(ServiceStateChange change) => _changes.Writer.TryWrite(change);

    /// <summary>Takes no more changes; those already queued are still delivered.</summary>
    public void Complete() => _changes.Writer.TryComplete();

    private async Task DeliverAsync(Action<ServiceStateChange> deliver)
    {
        await foreach (var change in _changes.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                deliver(change);
            }
            catch (Exception)
            {
                // An observer's bug must not stop the delivery of later changes to the others.
            }
        }
    }
}
