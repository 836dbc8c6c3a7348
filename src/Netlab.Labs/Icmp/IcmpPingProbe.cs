using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Netlab.Labs.Core;

namespace Netlab.Labs.Icmp;

/// <summary>
/// The ICMP pinger of handout 000, Assignment 4, on a raw socket: echo requests built by hand
/// (type 8, RFC 1071 checksum, identifier, sequence, the send time in the data), replies parsed out
/// of the IP packet (IHL, TTL, source) with their checksum verified and identifier and sequence
/// matched; ICMP errors named and matched through the original header they carry.
/// Output in iputils' format, line by line.
/// </summary>
/// <param name="time">The clock of RTTs, timeouts and the interval; null = the system's.</param>
public sealed class IcmpPingProbe(IcmpPingOptions options, TimeProvider? time = null) : IProbe
{
    /// <summary>
    /// Replies that repeat one already counted (DUP!) or fail their checksum, each reported; one more
    /// ends the run (forged replies are cheap to send, and each would be an event).
    /// </summary>
    public const int MaxStrayReplies = 100;

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        using var socket = IcmpSocket.Open(target.Address, time);
        var clock = socket.Time;
        var limit = TimeSpan.FromMilliseconds(options.TimeoutMs);
        events.Emit(new LogLine(LogSeverity.Info, $"PING {target.Host} ({target.Address}) {options.Size}({options.Size + 28}) bytes of data."));
        events.Emit(new LogLine(LogSeverity.Info, $"Using a {socket.Describe()}."));

        var stats = new PingStatistics();
        var sentAt = new long[options.Count + 1];
        var answered = new bool[options.Count + 1];
        var reported = new bool[options.Count + 1];
        var strays = new PeerBudget("replies that repeat one already counted or fail their checksum", MaxStrayReplies);
        var started = clock.GetTimestamp();
        try
        {
            for (var seq = 1; seq <= options.Count; seq++)
            {
                var data = Data(options.Size);
                sentAt[seq] = clock.GetTimestamp();
                await socket.SendEchoAsync((ushort)seq, data, cancellationToken);
                stats.Sent();
                var done = false;
                while (!done && await socket.ReceiveOursAsync(sentAt[seq], limit, cancellationToken) is { } received)
                {
                    var (reply, packet, now) = received;
                    if (reply.Sequence < 1 || reply.Sequence > seq)
                        continue;
                    // An echo reply must come from the target (errors come from routers on the way).
                    if (!reply.IsError && !reply.From.Equals(target.Address))
                        continue;
                    var s = reply.Sequence;
                    // Each of these is worth a line while there are few; a flood of them ends the run.
                    if (!reply.Message.ChecksumValid || reported[s])
                        strays.Spend();
                    if (!reply.Message.ChecksumValid)
                    {
                        events.Emit(new LogLine(LogSeverity.Warning, $"From {reply.From} icmp_seq={s}: bad ICMP checksum, ignored"));
                        continue;
                    }
                    events.Emit(Fields($"reply icmp_seq={s}", packet, socket.Mode == IcmpSocketMode.Raw));
                    var rtt = clock.GetElapsedTime(sentAt[s], now).TotalMilliseconds;
                    RttSample sample;
                    if (reply.IsError)
                    {
                        var text = $"From {reply.From} icmp_seq={s} {IcmpErrors.Describe(reply.Message)}";
                        sample = new RttSample(s, RttOutcome.Unreachable, null, text, reply.From.ToString());
                    }
                    else
                    {
                        var outcome = answered[s] ? RttOutcome.Duplicate : s == seq ? RttOutcome.Reply : RttOutcome.Late;
                        var ttl = reply.Ttl is { } t ? t.ToString(CultureInfo.InvariantCulture) : "?";
                        var text = $"{reply.IcmpLength} bytes from {reply.From}: icmp_seq={s} ttl={ttl} time={FormatRtt(rtt)} ms{(outcome == RttOutcome.Duplicate ? " (DUP!)" : "")}";
                        sample = new RttSample(s, outcome, rtt, text, reply.From.ToString());
                        answered[s] = true;
                    }
                    stats.Add(sample);
                    events.Emit(sample);
                    reported[s] = true;
                    done = s == seq;
                }
                if (!done)
                {
                    var timedOut = new RttSample(seq, RttOutcome.Timeout, null, null, null);
                    stats.Add(timedOut);
                    events.Emit(timedOut);
                }
                if (seq < options.Count)
                {
                    var wait = TimeSpan.FromMilliseconds(options.IntervalMs) - clock.GetElapsedTime(sentAt[seq]);
                    if (wait > TimeSpan.Zero)
                        await Task.Delay(wait, clock, cancellationToken);
                }
            }
        }
        finally
        {
            var name = target.Host;
            events.Emit(stats.ToSummary(name, clock.GetElapsedTime(started)));
        }
    }

    /// <summary>The send time (8 bytes, like iputils' timeval) and then the byte pattern 0x10, 0x11, ...</summary>
    private static byte[] Data(int size)
    {
        var data = new byte[size];
        BinaryPrimitives.WriteInt64BigEndian(data, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
        for (var i = 8; i < size; i++)
            data[i] = (byte)(0x10 + i - 8);
        return data;
    }

    /// <summary>iputils' precision: 3 decimals under 1 ms, 2 under 10, 1 under 100, none above.</summary>
    public static string FormatRtt(double ms) => ms switch
    {
        >= 100 => ms.ToString("F0", CultureInfo.InvariantCulture),
        >= 10 => ms.ToString("F1", CultureInfo.InvariantCulture),
        >= 1 => ms.ToString("F2", CultureInfo.InvariantCulture),
        _ => ms.ToString("F3", CultureInfo.InvariantCulture),
    };

    /// <summary>The reply's IP and ICMP header fields, for the "on demand" view.</summary>
    public static HexMessage Fields(string label, byte[] packet, bool includesIpHeader)
    {
        var fields = new List<HexField>();
        var at = 0;
        if (includesIpHeader && Ipv4Header.TryParse(packet, out var ip))
        {
            fields.Add(new HexField("VERSION/IHL", 0, 1, $"4 / {ip!.HeaderLength} bytes", "IP"));
            fields.Add(new HexField("TOS", 1, 1, packet[1].ToString(CultureInfo.InvariantCulture), "IP"));
            fields.Add(new HexField("TOTAL LENGTH", 2, 2, ip.TotalLength.ToString(CultureInfo.InvariantCulture), "IP"));
            fields.Add(new HexField("ID/FLAGS/FRAGMENT", 4, 4, Convert.ToHexString(packet, 4, 4).ToLowerInvariant(), "IP"));
            fields.Add(new HexField("TTL", 8, 1, ip.Ttl.ToString(CultureInfo.InvariantCulture), "IP"));
            fields.Add(new HexField("PROTOCOL", 9, 1, ip.Protocol == 1 ? "1 (ICMP)" : ip.Protocol.ToString(CultureInfo.InvariantCulture), "IP"));
            fields.Add(new HexField("HEADER CHECKSUM", 10, 2, $"0x{Convert.ToHexString(packet, 10, 2).ToLowerInvariant()}", "IP"));
            fields.Add(new HexField("SOURCE", 12, 4, ip.Source.ToString(), "IP"));
            fields.Add(new HexField("DESTINATION", 16, 4, ip.Destination.ToString(), "IP"));
            if (ip.HeaderLength > 20)
                fields.Add(new HexField("OPTIONS", 20, ip.HeaderLength - 20, "", "IP"));
            at = ip.HeaderLength;
        }
        if (IcmpMessage.TryParse(packet.AsSpan(at), out var m))
        {
            fields.Add(new HexField("TYPE", at, 1, $"{m!.Type} ({IcmpErrors.Describe(m)})", "ICMP"));
            fields.Add(new HexField("CODE", at + 1, 1, m.Code.ToString(CultureInfo.InvariantCulture), "ICMP"));
            fields.Add(new HexField("CHECKSUM", at + 2, 2, $"0x{m.Checksum:x4} ({(m.ChecksumValid ? "valid" : "INVALID")})", "ICMP"));
            fields.Add(new HexField("IDENTIFIER", at + 4, 2, m.Identifier.ToString(CultureInfo.InvariantCulture), "ICMP"));
            fields.Add(new HexField("SEQUENCE", at + 6, 2, m.Sequence.ToString(CultureInfo.InvariantCulture), "ICMP"));
            if (m.Data.Length > 0)
                fields.Add(new HexField("DATA", at + 8, m.Data.Length, $"{m.Data.Length} bytes", "ICMP"));
        }
        return new HexMessage(label, packet, fields);
    }
}
