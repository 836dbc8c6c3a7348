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
    private IcmpSocket(Socket socket, IcmpSocketMode mode)
    {
        Socket = socket;
        Mode = mode;
    }

    public Socket Socket { get; }
    public IcmpSocketMode Mode { get; }

    /// <summary>With a datagram socket the kernel puts its own identifier in our requests and replies.</summary>
    public bool KernelOwnsIdentifier => Mode == IcmpSocketMode.Datagram;

    public static IcmpSocket Open(IPAddress target)
    {
        if (target.AddressFamily != AddressFamily.InterNetwork)
            throw new LabException($"The ICMP lab pings IPv4 addresses; {target} is not one.");
        try
        {
            return new IcmpSocket(new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp), IcmpSocketMode.Raw);
        }
        catch (SocketException raw) when (raw.SocketErrorCode is SocketError.AccessDenied or SocketError.ProtocolNotSupported or SocketError.SocketNotSupported)
        {
            try
            {
                return new IcmpSocket(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Icmp), IcmpSocketMode.Datagram);
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

    /// <summary>Receives one packet, or null at the deadline.</summary>
    public async Task<(byte[] Packet, IPAddress From)?> ReceiveAsync(byte[] buffer, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero)
            return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            var result = await Socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
            return (buffer[..result.ReceivedBytes], ((IPEndPoint)result.RemoteEndPoint).Address);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public void Dispose() => Socket.Dispose();
}
