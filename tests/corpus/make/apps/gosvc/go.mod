module example.invalid/gosvc

go 1.19
