using Netlab.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddNetlab();

var app = builder.Build();
app.MapNetlab();
app.Run();

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
