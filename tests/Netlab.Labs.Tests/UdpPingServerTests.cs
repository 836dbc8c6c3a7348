using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.UdpPing;

namespace Netlab.Labs.Tests;

public class UdpPingServerTests
{
    private static async Task<(UdpPingServer Server, Task<List<LabEvent>> Events)> StartAsync(UdpPingServerOptions options, TimeProvider? time = null)
    {
        var server = new UdpPingServer(options, Loopback.AnyPort, new EventStream("server", 10_000), time);
        await server.StartAsync();
        return (server, Loopback.DrainAsync(server.Events));
    }

    [Fact]
    public async Task Echoes_the_payload_upper_cased_to_the_sender_on_the_port_it_reports()
    {
        var (server, events) = await StartAsync(new UdpPingServerOptions { LossRate = 0 });
        Assert.Equal(ServerState.Running, server.State);
        Assert.NotEqual(0, server.LocalEndPoint!.Port);
        using var client = Loopback.UdpClient();

        var reply = await Loopback.ExchangeAsync(client, server.LocalEndPoint, "Ping 1 1700000000.5"u8.ToArray());

        Assert.Equal("PING 1 1700000000.5", Encoding.ASCII.GetString(reply!));
        await server.DisposeAsync();
        var seen = Assert.Single((await events).OfType<DatagramSeen>());
        Assert.Equal(DatagramAction.Echoed, seen.Action);
        Assert.Equal(client.LocalEndPoint!.ToString(), seen.Remote);
        Assert.Equal(19, seen.Length);
        Assert.Equal(ServerState.Stopped, server.State);
    }

    [Fact]
    public async Task Drops_everything_at_loss_one_and_says_so()
    {
        var (server, events) = await StartAsync(new UdpPingServerOptions { LossRate = 1 });
        using var client = Loopback.UdpClient();

        Assert.Null(await Loopback.ExchangeAsync(client, server.LocalEndPoint!, "Ping 1 1"u8.ToArray(), timeoutMs: 300));

        await server.DisposeAsync();
        Assert.Equal(DatagramAction.Dropped, Assert.Single((await events).OfType<DatagramSeen>()).Action);
    }

    [Fact]
    public async Task Echoes_the_largest_udp_payload_and_arbitrary_bytes()
    {
        var (server, _) = await StartAsync(new UdpPingServerOptions { LossRate = 0 });
        using var client = Loopback.UdpClient();
        client.SendBufferSize = 1 << 20;
        var big = new byte[65_507];
        new Random(1).NextBytes(big);
        var expected = (byte[])big.Clone();
        UdpPingMessage.ToUpperAscii(expected);

        Assert.Equal(expected, await Loopback.ExchangeAsync(client, server.LocalEndPoint!, big));
        Assert.Empty((await Loopback.ExchangeAsync(client, server.LocalEndPoint!, []))!);
        Assert.Equal(new byte[] { 0, 0xff, (byte)'A' }, await Loopback.ExchangeAsync(client, server.LocalEndPoint!, [0, 0xff, (byte)'a']));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Serves_many_clients_at_once()
    {
        var (server, _) = await StartAsync(new UdpPingServerOptions { LossRate = 0 });
        var replies = await Task.WhenAll(Enumerable.Range(1, 20).Select(async i =>
        {
            using var client = Loopback.UdpClient();
            var answers = new List<string>();
            for (var seq = 1; seq <= 5; seq++)
                answers.Add(Encoding.ASCII.GetString((await Loopback.ExchangeAsync(client, server.LocalEndPoint!, Encoding.ASCII.GetBytes($"ping {seq} client{i}")))!));
            return answers;
        }));
        for (var i = 1; i <= 20; i++)
            Assert.Equal(Enumerable.Range(1, 5).Select(seq => $"PING {seq} CLIENT{i}"), replies[i - 1]);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Adds_the_configured_delay()
    {
        var clock = new TestClock();
        var delay = TimeSpan.FromMilliseconds(150);
        var (server, events) = await StartAsync(new UdpPingServerOptions { LossRate = 0, DelayMs = 150 }, clock);
        using var client = Loopback.UdpClient();
        var reply = Loopback.ExchangeAsync(client, server.LocalEndPoint!, "Ping 1 1"u8.ToArray(), timeoutMs: 30_000);

        await clock.SetAsync(delay); // the reply is held until the clock says so
        clock.Advance(delay - TimeSpan.FromMilliseconds(1));
        Assert.False(reply.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("PING 1 1"u8.ToArray(), await reply);
        await server.DisposeAsync();
        Assert.Equal(150, Assert.Single((await events).OfType<DatagramSeen>()).DelayMs);
    }

    [Fact]
    public async Task A_seed_gives_the_same_drops_on_every_start()
    {
        async Task<List<DatagramAction>> PatternAsync()
        {
            var (server, events) = await StartAsync(new UdpPingServerOptions { LossRate = 0.5, Seed = 99 });
            using var client = Loopback.UdpClient();
            for (var i = 1; i <= 30; i++)
                await Loopback.ExchangeAsync(client, server.LocalEndPoint!, Encoding.ASCII.GetBytes($"Ping {i} 1"), timeoutMs: 50);
            await server.DisposeAsync();
            return (await events).OfType<DatagramSeen>().Select(d => d.Action).ToList();
        }

        var first = await PatternAsync();
        Assert.Equal(30, first.Count);
        Assert.Contains(DatagramAction.Dropped, first);
        Assert.Contains(DatagramAction.Echoed, first);
        Assert.Equal(first, await PatternAsync());
    }

    [Fact]
    public async Task A_port_in_use_is_refused_with_the_port()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(Loopback.AnyPort);
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        var server = new UdpPingServer(new UdpPingServerOptions(), new IPEndPoint(IPAddress.Loopback, port), new EventStream("s"));

        var e = await Assert.ThrowsAsync<PortInUseException>(() => server.StartAsync());

        Assert.Equal(port, e.Port);
        Assert.Contains(port.ToString(), e.Message);
        Assert.Equal(ServerState.Faulted, server.State);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_ends_the_event_stream_and_frees_the_port()
    {
        var (server, events) = await StartAsync(new UdpPingServerOptions());
        var endpoint = server.LocalEndPoint!;
        await server.StopAsync();
        var states = (await events).OfType<ServerStateChanged>().Select(s => s.State).ToList();
        Assert.Equal([ServerState.Running, ServerState.Stopping, ServerState.Stopped], states);

        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        again.Bind(endpoint);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Started_twice_is_an_error()
    {
        var (server, _) = await StartAsync(new UdpPingServerOptions());
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());
        await server.DisposeAsync();
    }
}
