using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.Icmp;

namespace Netlab.Labs.Tests.Icmp;

/// <summary>
/// The ICMP pinger against forged replies (the tests run as root, so a raw socket can forge them):
/// a flood of duplicates and of bad checksums ends the run at 100 of them instead of an event
/// per packet. The probe's requests are told from other pingers' by their unusual size. In one
/// collection with the other ICMP tests, whose pings the forged burst would otherwise crowd out.
/// </summary>
[Collection("icmp")]
public sealed class IcmpHostilePeerTests
{
    /// <summary>Small (many fit a socket's buffer) and unusual (other pingers' requests are not this size).</summary>
    private const int Size = 123;

    /// <summary>Forged replies sent after each request: two requests' worth go past the limit.</summary>
    private const int Burst = 60;

    [Fact]
    public async Task A_burst_of_forged_duplicate_and_corrupt_replies_ends_the_run_at_100_of_them()
    {
        using var forger = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp);
        forger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var flood = Task.Run(async () =>
        {
            var buffer = new byte[65_535];
            while (!stop.IsCancellationRequested)
            {
                // IPv4 header (IHL words), then ICMP: type 8 = echo request, of the probe's size.
                var n = await forger.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                var ihl = (buffer[0] & 0x0F) * 4;
                if (n - ihl != 8 + Size || buffer[ihl] != 8)
                    continue;
                // A burst per request, small enough for the probe's socket buffer (its real replies must
                // still get in): the probe reads it while it waits for its next reply.
                var request = buffer[ihl..n];
                var good = Reply(request, corrupt: false);
                var bad = Reply(request, corrupt: true);
                for (var i = 0; i < Burst; i++)
                    await forger.SendToAsync(i % 2 == 0 ? good : bad, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, 0), stop.Token);
            }
        });

        var events = new ListSink();
        var error = await Assert.ThrowsAsync<PeerLimitException>(() =>
            new IcmpPingProbe(new IcmpPingOptions { Count = 10, IntervalMs = 200, TimeoutMs = 5000, Size = Size })
                .RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, 0), events, CancellationToken.None));
        stop.Cancel();
        await flood.ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.Contains($"more than {IcmpPingProbe.MaxStrayReplies} replies that repeat one already counted or fail their checksum", error.Message);
        Assert.Contains("fixed limit", error.Message);
        var strays = events.Of<RttSample>().Count(s => s.Outcome == RttOutcome.Duplicate) + events.Of<LogLine>().Count(l => l.Text.Contains("bad ICMP checksum"));
        Assert.Equal(IcmpPingProbe.MaxStrayReplies, strays);
        Assert.InRange(events.Events.Count, IcmpPingProbe.MaxStrayReplies, 2 * IcmpPingProbe.MaxStrayReplies + 20);
        Assert.Single(events.Of<Summary>());
    }

    /// <summary>The echo reply to a request (type 0, same identifier, sequence and data), optionally with a wrong checksum.</summary>
    private static byte[] Reply(byte[] request, bool corrupt)
    {
        var reply = request.ToArray();
        reply[0] = 0;
        reply[2] = reply[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), (ushort)(InternetChecksum.Compute(reply) ^ (corrupt ? 0x00FF : 0)));
        return reply;
    }
}
