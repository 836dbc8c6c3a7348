using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.Icmp;

public enum IcmpSocketMode
{
    /// <summary>A raw socket (needs CAP_NET_RAW): the lab's point, we see whole IP packets with their TTL.</summary>
    Raw,
    /// <summary>An ICMP datagram ("ping") socket, allowed by net.ipv4.ping_group_range: no IP header, so no TTL.</summary>
    Datagram,
}

/// <summary>
/// Opens the socket an ICMP pinger needs: raw if the process may, else an ICMP datagram socket
/// where the system allows it, else a clear message naming the missing permission.
/// </summary>
public sealed class IcmpSocket : IDisposable
{
    private readonly byte[] buffer = new byte[65_536];
    private readonly IPEndPoint target;

    private IcmpSocket(Socket socket, IcmpSocketMode mode, IPAddress target, TimeProvider? time)
    {
        Socket = socket;
        Mode = mode;
        this.target = new IPEndPoint(target, 0);
        Time = time ?? TimeProvider.System;
    }

    /// <summary>The clock of send and receive timestamps and of the receive time limit.</summary>
    public TimeProvider Time { get; }

    public Socket Socket { get; }
    public IcmpSocketMode Mode { get; }

    /// <summary>The identifier of this pinger's requests (a raw socket sees every ICMP packet of the host).</summary>
    public ushort Identifier { get; } = (ushort)(Environment.ProcessId ^ Random.Shared.Next(0x10000));

    public static IcmpSocket Open(IPAddress target, TimeProvider? time = null)
    {
        if (target.AddressFamily != AddressFamily.InterNetwork)
            throw new LabException($"The ICMP lab pings IPv4 addresses; {target} is not one.");
        try
        {
            return new IcmpSocket(new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp), IcmpSocketMode.Raw, target, time);
        }
        catch (SocketException raw) when (raw.SocketErrorCode is SocketError.AccessDenied or SocketError.ProtocolNotSupported or SocketError.SocketNotSupported)
        {
            try
            {
                return new IcmpSocket(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Icmp), IcmpSocketMode.Datagram, target, time);
            }
            catch (SocketException)
            {
                throw new LabException(
                    "This process may open neither a raw socket nor an ICMP datagram socket. Raw sockets need the CAP_NET_RAW capability " +
                    "(in Docker: cap_add: [NET_RAW]); datagram ICMP sockets need the process's group in net.ipv4.ping_group_range " +
                    "(sysctl -w net.ipv4.ping_group_range=\"0 2147483647\").");
            }
        }
    }

    public int Ttl
    {
        set => Socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, value);
    }

    public string Describe() => Mode == IcmpSocketMode.Raw
        ? "raw socket (SOCK_RAW): whole IP packets, TTL shown"
        : "ICMP datagram socket (SOCK_DGRAM, no raw-socket permission): no IP header, so no TTL";

    /// <summary>Sends an echo request with this pinger's identifier.</summary>
    public async Task SendEchoAsync(ushort sequence, byte[] data, CancellationToken cancellationToken) =>
        await Socket.SendToAsync(IcmpMessage.EchoRequestBytes(Identifier, sequence, data), SocketFlags.None, target, cancellationToken);

    /// <summary>
    /// The next packet that answers one of our requests (an echo reply or an error carrying our
    /// request), with the raw packet and when it came (a timestamp of <see cref="Time"/>); null once
    /// <paramref name="limit"/> has passed since <paramref name="sentAt"/>. Packets of other pingers
    /// and our own requests are skipped.
    /// </summary>
    public async Task<(IcmpReceived Answer, byte[] Packet, long ReceivedAt)?> ReceiveOursAsync(long sentAt, TimeSpan limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var wait = limit - Time.GetElapsedTime(sentAt);
            if (wait <= TimeSpan.Zero)
                return null;
            using var timeout = Deadline.After(wait, cancellationToken, Time);
            SocketReceiveFromResult result;
            try
            {
                result = await Socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.Expired)
            {
                continue; // the loop decides whether the deadline has really passed
            }
            var receivedAt = Time.GetTimestamp();
            var packet = buffer[..result.ReceivedBytes];
            var answer = IcmpReceived.Parse(packet, Mode == IcmpSocketMode.Raw, ((IPEndPoint)result.RemoteEndPoint).Address);
            // A datagram socket only ever gets its own answers; the kernel owns their identifier.
            if (answer is not null && (Mode == IcmpSocketMode.Datagram || answer.Identifier == Identifier))
                return (answer, packet, receivedAt);
        }
    }

    public void Dispose() => Socket.Dispose();
}
