package s3store_test

import "time"

func timeNow() time.Time { return time.Now() }

const envHelper = "CANIC_S3STORE_HELPER"

func helperMain() int { return 0 }
