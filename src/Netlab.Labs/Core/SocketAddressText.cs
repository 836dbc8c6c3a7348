using System.Net;
using System.Net.Sockets;

namespace Netlab.Labs.Core;

/// <summary>
/// The text of the last sender's address ("127.0.0.1:5353"), kept so that a client sending in a
/// loop does not cost an endpoint and a string per datagram. One instance per receive loop.
/// </summary>
public sealed class SocketAddressText
{
    private SocketAddress? last;
    private string lastText = "";

    public string Of(SocketAddress address)
    {
        if (last is not null && last.Equals(address))
            return lastText;
        var any = address.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        lastText = new IPEndPoint(any, 0).Create(address).ToString() ?? "?";
        last = Copy(address);
        return lastText;
    }

    public static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span.CopyTo(copy.Buffer.Span);
        return copy;
    }
}
