using Netlab.Web.Data;
using Netlab.Web.Hosting;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddNetlab();

    var app = builder.Build();
    PortCheck.ThrowIfInUse(app.Configuration);
    app.MapNetlab();
    app.Run();
}
catch (StartupProblemException e)
{
    // Something the user can fix (the data folder): one line that says what to do, not a stack trace.
    Console.Error.WriteLine($"Netlab cannot start: {e.Message}");
    return 2;
}
catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    Console.Error.WriteLine($"Netlab cannot start: {e.Message} Stop what uses that port, or choose another with --urls http://localhost:PORT.");
    return 2;
}
return 0;

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
