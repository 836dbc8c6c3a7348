namespace Netlab.Labs.Icmp;

/// <summary>The meaning of ICMP error types and codes (RFC 792, RFC 1122, RFC 1812), as ping prints them.</summary>
public static class IcmpErrors
{
    private static readonly string[] Unreachable =
    [
        "Destination Net Unreachable",                      // 0
        "Destination Host Unreachable",                     // 1
        "Destination Protocol Unreachable",                 // 2
        "Destination Port Unreachable",                     // 3
        "Frag needed and DF set",                           // 4 (with the next-hop MTU)
        "Source Route Failed",                              // 5
        "Destination Net Unknown",                          // 6
        "Destination Host Unknown",                         // 7
        "Source Host Isolated",                             // 8
        "Destination Net Prohibited",                       // 9
        "Destination Host Prohibited",                      // 10
        "Destination Net Unreachable for Type of Service",  // 11
        "Destination Host Unreachable for Type of Service", // 12
        "Packet filtered",                                  // 13 (communication administratively prohibited)
        "Precedence Violation",                             // 14
        "Precedence Cutoff",                                // 15
    ];

    public static string Describe(IcmpMessage message) => message.Type switch
    {
        IcmpMessage.DestinationUnreachable when message.Code == 4 => $"Frag needed and DF set (mtu = {message.NextHopMtu})",
        IcmpMessage.DestinationUnreachable when message.Code < Unreachable.Length => Unreachable[message.Code],
        IcmpMessage.DestinationUnreachable => $"Dest Unreachable, Bad Code: {message.Code}",
        IcmpMessage.TimeExceeded when message.Code == 0 => "Time to live exceeded",
        IcmpMessage.TimeExceeded when message.Code == 1 => "Frag reassembly time exceeded",
        IcmpMessage.TimeExceeded => $"Time exceeded, Bad Code: {message.Code}",
        IcmpMessage.ParameterProblem => $"Parameter problem: pointer = {message.Identifier >> 8}",
        IcmpMessage.EchoReply => "Echo Reply",
        IcmpMessage.EchoRequest => "Echo Request",
        _ => $"Bad ICMP type: {message.Type}",
    };
}
