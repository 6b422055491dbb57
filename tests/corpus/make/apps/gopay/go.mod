module example.invalid/gopay

go 1.19
