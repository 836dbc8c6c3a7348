using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.UdpPing;

namespace Netlab.Bench;

/// <summary>
/// A Netlab UDP ping server with no loss, hosted the way the portal's ServerManager hosts it:
/// a bounded event stream of the same capacity, drained in batches by a background reader
/// (here the events are discarded instead of sent to the UI).
/// </summary>
public sealed class HostedPingServer : IAsyncDisposable
{
    private const int ChannelCapacity = 10_000;

    private readonly UdpPingServer server;
    private readonly Task drain;

    private HostedPingServer(UdpPingServer server, Task drain)
    {
        this.server = server;
        this.drain = drain;
    }

    public IPEndPoint EndPoint => server.LocalEndPoint!;

    /// <summary>Events the server had to drop because the drain fell behind.</summary>
    public long DroppedEvents => server.Events.Dropped;

    public static async Task<HostedPingServer> StartAsync()
    {
        var events = new EventStream("bench-udp-ping", ChannelCapacity);
        var server = new UdpPingServer(new UdpPingServerOptions { LossRate = 0 }, new IPEndPoint(IPAddress.Loopback, 0), events);
        var drain = Task.Run(() => DrainAsync(events));
        await server.StartAsync();
        return new HostedPingServer(server, drain);
    }

    public async ValueTask DisposeAsync()
    {
        // Stopping the server completes its event stream, which ends the drain.
        await server.DisposeAsync();
        await drain;
    }

    private static async Task DrainAsync(EventStream events)
    {
        var reader = events.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out _))
            {
            }
        }
    }
}
