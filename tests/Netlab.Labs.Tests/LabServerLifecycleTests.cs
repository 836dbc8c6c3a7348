using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.Tests;

/// <summary>The shared lifecycle: a fault in a server's loop turns it Faulted with the reason, and nothing else breaks.</summary>
public class LabServerLifecycleTests
{
    /// <summary>A real UDP server whose loop dies on the first datagram, as a buggy lab server would.</summary>
    private sealed class FragileServer(EventStream events) : LabServer("fragile", Loopback.AnyPort, events)
    {
        private Socket? socket;

        protected override IPEndPoint Bind(IPEndPoint requested)
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(requested);
            return (IPEndPoint)socket.LocalEndPoint!;
        }

        protected override async Task ServeAsync(CancellationToken stoppingToken)
        {
            var buffer = new byte[100];
            await socket!.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stoppingToken);
            throw new InvalidDataException("the parser gave up");
        }

        protected override void CloseListener() => socket?.Dispose();
    }

    [Fact]
    public async Task A_fault_in_the_serving_loop_becomes_Faulted_with_the_reason()
    {
        var server = new FragileServer(new EventStream("fragile"));
        await server.StartAsync();
        var events = Loopback.DrainAsync(server.Events);
        using var client = Loopback.UdpClient();
        await client.SendToAsync(new byte[] { 1 }, SocketFlags.None, server.LocalEndPoint!);

        await Eventually.UntilAsync(() => server.State == ServerState.Faulted, "the server to fault");
        Assert.Equal("InvalidDataException: the parser gave up", server.FaultReason);
        await server.DisposeAsync();
        Assert.Equal(ServerState.Faulted, server.State); // stopping keeps the reason visible
        var change = Assert.Single((await events).OfType<ServerStateChanged>(), s => s.State == ServerState.Faulted);
        Assert.Equal(server.FaultReason, change.Reason);
    }

    /// <summary>A UDP lab server whose handler fails on one kind of datagram and echoes the others.</summary>
    private sealed class TouchyUdpServer(EventStream events) : UdpLabServer("touchy", Loopback.AnyPort, events)
    {
        protected override string Listening(EndPoint local) => $"touchy on {local}";

        protected override void OnDatagram(Span<byte> datagram, SocketAddress from, string remote, CancellationToken stopping)
        {
            if (datagram.SequenceEqual("boom"u8))
                throw new InvalidDataException("cannot parse boom");
            Udp.TrySendTo(datagram, from, remote, stopping);
        }
    }

    [Fact]
    public async Task A_fault_handling_one_datagram_is_logged_and_the_UDP_server_serves_the_next()
    {
        await using var server = new TouchyUdpServer(new EventStream("touchy"));
        await server.StartAsync();
        var events = Loopback.DrainAsync(server.Events);
        using var client = Loopback.UdpClient();
        await client.SendToAsync("boom"u8.ToArray(), SocketFlags.None, server.LocalEndPoint!);
        Assert.Equal("ping"u8.ToArray(), await Loopback.ExchangeAsync(client, server.LocalEndPoint!, "ping"u8.ToArray(), timeoutMs: 30_000));
        Assert.Equal(ServerState.Running, server.State);
        await server.StopAsync();
        Assert.Equal(ServerState.Stopped, server.State);
        Assert.Contains((await events).OfType<LogLine>(), l => l.Severity == LogSeverity.Error && l.Text.Contains("InvalidDataException: cannot parse boom"));
    }
}
