module example.com/logfmtsvc

go 1.19
