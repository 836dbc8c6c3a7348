using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.Icmp;

namespace Netlab.Labs.Tests.Icmp;

/// <summary>
/// The ICMP pinger against forged replies (the tests run as root, so a raw socket can forge them):
/// a flood of duplicates and of bad checksums ends the run at maxStrayReplies instead of an event
/// per packet. The probe's requests are told from other pingers' by their unusual size. In one
/// collection with the other ICMP tests, whose pings the forged burst would otherwise crowd out.
/// </summary>
[Collection("icmp")]
public sealed class IcmpHostilePeerTests
{
    /// <summary>Small (many fit a socket's buffer) and unusual (other pingers' requests are not this size).</summary>
    private const int Size = 123;

    [Fact]
    public async Task A_flood_of_forged_duplicate_and_corrupt_replies_ends_the_run_at_maxStrayReplies()
    {
        using var forger = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp);
        forger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var flood = Task.Run(async () =>
        {
            var buffer = new byte[65_535];
            byte[] request;
            while (true)
            {
                // IPv4 header (IHL words), then ICMP: type 8 = echo request, of the probe's size.
                var n = await forger.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                var ihl = (buffer[0] & 0x0F) * 4;
                if (n - ihl == 8 + Size && buffer[ihl] == 8)
                {
                    request = buffer[ihl..n];
                    break;
                }
            }
            var good = Reply(request, corrupt: false);
            var bad = Reply(request, corrupt: true);
            // A burst, not an endless flood: every raw ICMP socket on the machine sees these, other tests' too.
            for (var i = 0; i < 1000 && !stop.IsCancellationRequested; i++)
            {
                await forger.SendToAsync(i % 2 == 0 ? good : bad, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, 0), stop.Token);
                await Task.Yield();
            }
        });

        var events = new ListSink();
        var error = await Assert.ThrowsAsync<PeerLimitException>(() =>
            new IcmpPingProbe(new IcmpPingOptions { Count = 3, IntervalMs = 200, TimeoutMs = 60_000, Size = Size, MaxStrayReplies = 50 })
                .RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, 0), events, CancellationToken.None));
        stop.Cancel();
        await flood.ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.Contains("more than 50 replies that repeat one already counted or fail their checksum", error.Message);
        Assert.Contains("maxStrayReplies", error.Message);
        var strays = events.Of<RttSample>().Count(s => s.Outcome == RttOutcome.Duplicate) + events.Of<LogLine>().Count(l => l.Text.Contains("bad ICMP checksum"));
        Assert.Equal(50, strays);
        Assert.InRange(events.Events.Count, 50, 2 * 50 + 20);
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
